"""The chip's off-chip links (HyperTransport in ISAAC): `transfer` moves `bits` bits."""

from dataclasses import dataclass

from archsim.config.hwschema import HardwareConfig
from archsim.hw.component import Component, common_fields


@dataclass(frozen=True)
class HyperTransport(Component):
    links: int
    link_bandwidth_bps: float

    def transfer_time_s(self, bits: int, links: int = 1) -> float:
        """Time to move `bits` bits striped over `links` links."""
        return bits / (links * self.link_bandwidth_bps)

    def transfer_energy_j(self, bits: int) -> float:
        return self.energy_j("transfer", self.actions_for_bits("transfer", bits))

    @classmethod
    def from_config(cls, hw: HardwareConfig) -> "HyperTransport":
        link = hw.chip.hypertransport
        return cls(
            **common_fields("chip.hypertransport", link),
            links=link.links,
            link_bandwidth_bps=link.link_bandwidth_gbps * 1e9,
        )
