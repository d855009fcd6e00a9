"""The eDRAM-to-IMA bus of a tile: `transfer` moves one beat of `wires` bits."""

from dataclasses import dataclass

from archsim.config.hwschema import HardwareConfig
from archsim.hw.component import Component, common_fields


@dataclass(frozen=True)
class Bus(Component):
    wires: int

    def transfer_time_s(self, bits: int) -> float:
        return self.actions_for_bits("transfer", bits) * self.latency_s("transfer")

    def transfer_energy_j(self, bits: int) -> float:
        """Energy per bit actually moved (the source quotes the bus per bit)."""
        return bits * self.energy_per_bit_j("transfer")

    @classmethod
    def from_config(cls, hw: HardwareConfig) -> "Bus":
        return cls(**common_fields("tile.bus", hw.tile.bus), wires=hw.tile.bus.wires)
