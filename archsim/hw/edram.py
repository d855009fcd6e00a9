"""The tile's eDRAM buffer: `access` reads or writes one bus-width word."""

from dataclasses import dataclass

from archsim.config.hwparts import EdramConfig
from archsim.config.hwschema import HardwareConfig
from archsim.hw.component import ActionRef, Component, Datasheet
from archsim.hw.spec import ComponentSpec

ACCESS = ActionRef("tile.edram", "access", per_bit=True)


@dataclass(frozen=True)
class Edram(Component):
    size_bytes: int
    banks: int

    @classmethod
    def from_config(cls, hw: HardwareConfig) -> "Edram":
        edram = hw.tile.edram
        return cls(
            sheet=Datasheet.of(EDRAM.name, edram),
            size_bytes=edram.size_kb * 1024,
            banks=edram.banks,
        )


EDRAM = ComponentSpec(
    name="tile.edram",
    level="tile",
    block=EdramConfig,
    build=Edram.from_config,
    actions=(ACCESS,),
    # read the input vector, write the output vector
    per_mvm=((ACCESS, lambda w: w.input_vector_bits + w.output_vector_bits),),
)
