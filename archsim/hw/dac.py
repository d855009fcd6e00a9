"""The row DACs (one per crossbar row): `row_drive` applies one input slice to one row."""

from dataclasses import dataclass

from archsim.config.hwparts import DacConfig
from archsim.config.hwschema import HardwareConfig
from archsim.hw.component import ActionRef, Component, Datasheet
from archsim.hw.spec import ComponentSpec

ROW_DRIVE = ActionRef("ima.dac", "row_drive")


@dataclass(frozen=True)
class Dac(Component):
    bits: int  # input bits applied per crossbar cycle

    @classmethod
    def from_config(cls, hw: HardwareConfig) -> "Dac":
        return cls(
            sheet=Datasheet.of(DAC.name, hw.ima.dac),
            bits=hw.ima.dac.bits,
        )


DAC = ComponentSpec(
    name="ima.dac",
    level="ima",
    block=DacConfig,
    build=Dac.from_config,
    actions=(ROW_DRIVE,),
    count=lambda hw: hw.dacs_per_ima,
    per_mvm=((ROW_DRIVE, lambda w: w.cycles * w.rows),),
)
