"""The eDRAM-to-IMA bus of a tile: `transfer` moves one beat of `wires` bits."""

from dataclasses import dataclass

from archsim.config.hwparts import BusConfig
from archsim.config.hwschema import HardwareConfig
from archsim.hw.component import ActionRef, Component, Datasheet
from archsim.hw.spec import ComponentSpec

TRANSFER = ActionRef("tile.bus", "transfer", per_bit=True)


@dataclass(frozen=True)
class Bus(Component):
    wires: int

    def transfer_time_s(self, bits: int) -> float:
        return self.actions_for_bits(TRANSFER, bits) * self.latency_s(TRANSFER)

    def transfer_energy_j(self, bits: int) -> float:
        """Energy per bit actually moved (the source quotes the bus per bit)."""
        return bits * self.energy_per_bit_j(TRANSFER)

    @classmethod
    def from_config(cls, hw: HardwareConfig) -> "Bus":
        return cls(sheet=Datasheet.of(BUS.name, hw.tile.bus), wires=hw.tile.bus.wires)


BUS = ComponentSpec(
    name="tile.bus",
    level="tile",
    block=BusConfig,
    build=Bus.from_config,
    actions=(TRANSFER,),
    per_mvm=((TRANSFER, lambda w: w.input_vector_bits),),  # broadcast to the layer's IMAs
)
