"""Sample-and-hold circuits (one per crossbar column): `sample` captures one column output."""

from dataclasses import dataclass

from archsim.config.hwparts import SampleHoldConfig
from archsim.config.hwschema import HardwareConfig
from archsim.hw.component import ActionRef, Component, Datasheet
from archsim.hw.spec import ComponentSpec

SAMPLE = ActionRef("ima.sample_hold", "sample")


@dataclass(frozen=True)
class SampleHold(Component):
    @classmethod
    def from_config(cls, hw: HardwareConfig) -> "SampleHold":
        return cls(sheet=Datasheet.of(SAMPLE_HOLD.name, hw.ima.sample_hold))


SAMPLE_HOLD = ComponentSpec(
    name="ima.sample_hold",
    level="ima",
    block=SampleHoldConfig,
    build=SampleHold.from_config,
    actions=(SAMPLE,),
    count=lambda hw: hw.sample_holds_per_ima,
    per_mvm=((SAMPLE, lambda w: w.cycles * w.cols),),
)
