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
