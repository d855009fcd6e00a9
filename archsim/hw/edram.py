"""The tile's eDRAM buffer: `access` reads or writes one bus-width word."""

from dataclasses import dataclass

from archsim.config.hwschema import HardwareConfig
from archsim.hw.component import Component, common_fields


@dataclass(frozen=True)
class Edram(Component):
    size_bytes: int
    banks: int

    def access_time_s(self, bits: int) -> float:
        """Time to read or write `bits` bits in whole words, one word per access."""
        return self.actions_for_bits("access", bits) * self.latency_s("access")

    def access_energy_j(self, bits: int) -> float:
        return self.energy_j("access", self.actions_for_bits("access", bits))

    @classmethod
    def from_config(cls, hw: HardwareConfig) -> "Edram":
        edram = hw.tile.edram
        return cls(
            **common_fields("tile.edram", edram),
            size_bytes=edram.size_kb * 1024,
            banks=edram.banks,
        )
