"""The chip's off-chip links (HyperTransport in ISAAC): `transfer` moves `bits` bits."""

from dataclasses import dataclass

from archsim.config.hwparts import HyperTransportConfig
from archsim.config.hwschema import HardwareConfig
from archsim.hw.component import ActionRef, Component, Datasheet
from archsim.hw.spec import ComponentSpec

TRANSFER = ActionRef("chip.hypertransport", "transfer", per_bit=True)


@dataclass(frozen=True)
class HyperTransport(Component):
    links: int
    link_bandwidth_bps: float

    @classmethod
    def from_config(cls, hw: HardwareConfig) -> "HyperTransport":
        link = hw.chip.hypertransport
        return cls(
            sheet=Datasheet.of(HYPERTRANSPORT.name, link),
            links=link.links,
            link_bandwidth_bps=link.link_bandwidth_gbps * 1e9,
        )


HYPERTRANSPORT = ComponentSpec(
    name="chip.hypertransport",
    level="chip",
    block=HyperTransportConfig,
    build=HyperTransport.from_config,
    actions=(TRANSFER,),
    count=lambda hw: hw.chip.hypertransport.links,
    per_mvm=((TRANSFER, lambda w: w.chip_bits),),
)
