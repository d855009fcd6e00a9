"""Register files (IMA input/output registers, tile output register): action `access`."""

from dataclasses import dataclass

from archsim.config.blocks import block
from archsim.config.hwparts import RegisterConfig
from archsim.config.hwschema import HardwareConfig
from archsim.hw.component import ActionRef, Component, Datasheet
from archsim.hw.spec import ComponentSpec, MvmRule

ACCESS_NAME = "access"
INPUT_ACCESS = ActionRef("ima.input_register", ACCESS_NAME, per_bit=True)
IMA_OUTPUT_ACCESS = ActionRef("ima.output_register", ACCESS_NAME, per_bit=True)
TILE_OUTPUT_ACCESS = ActionRef("tile.output_register", ACCESS_NAME, per_bit=True)


@dataclass(frozen=True)
class Register(Component):
    size_bytes: int

    @classmethod
    def from_register(cls, name: str, register: RegisterConfig) -> "Register":
        return cls(sheet=Datasheet.of(name, register), size_bytes=register.size_bytes)


def _register(access: ActionRef, rule: MvmRule) -> ComponentSpec[Register]:
    section, key = access.component.split(".")

    def build(hw: HardwareConfig) -> Register:
        return Register.from_register(access.component, block(hw, section, key, RegisterConfig))

    return ComponentSpec(
        name=access.component,
        level="ima" if section == "ima" else "tile",
        block=RegisterConfig,
        build=build,
        actions=(access,),
        per_mvm=((access, rule),),
    )


# written from the bus, read by the DACs
INPUT_REGISTER = _register(INPUT_ACCESS, lambda w: 2 * w.rows * w.in_bits)
# one output per conversion
IMA_OUTPUT_REGISTER = _register(IMA_OUTPUT_ACCESS, lambda w: w.cycles * w.cols * w.out_bits)
TILE_OUTPUT_REGISTER = _register(TILE_OUTPUT_ACCESS, lambda w: w.output_vector_bits)
