"""Every component model of one hardware description, built once from the config."""

from dataclasses import dataclass, fields

from archsim.config.hwschema import HardwareConfig
from archsim.hw.adc import Adc
from archsim.hw.bus import Bus
from archsim.hw.component import Component
from archsim.hw.cpu import Cpu
from archsim.hw.crossbar import Crossbar
from archsim.hw.dac import Dac
from archsim.hw.digital import DigitalUnit
from archsim.hw.edram import Edram
from archsim.hw.hypertransport import HyperTransport
from archsim.hw.registers import Register
from archsim.hw.router import Router
from archsim.hw.sample_hold import SampleHold
from archsim.hw.shift_add import ShiftAdd


@dataclass(frozen=True)
class ComponentSet:
    """One model per component kind, each for a single instance."""

    crossbar: Crossbar
    adc: Adc
    dac: Dac
    sample_hold: SampleHold
    ima_shift_add: ShiftAdd
    input_register: Register
    ima_output_register: Register
    edram: Edram
    bus: Bus
    router: Router
    sigmoid: DigitalUnit
    tile_shift_add: ShiftAdd
    maxpool: DigitalUnit
    tile_output_register: Register
    hypertransport: HyperTransport
    cpu: Cpu

    def all(self) -> tuple[Component, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))

    def by_name(self, name: str) -> Component:
        """The component whose qualified name (e.g. "tile.router", "cpu.link") is `name`."""
        for component in (*self.all(), self.cpu.link):
            if component.name == name:
                return component
        known = ", ".join(c.name for c in (*self.all(), self.cpu.link))
        raise KeyError(f"no component '{name}' (known: {known})")


def build_components(hw: HardwareConfig) -> ComponentSet:
    return ComponentSet(
        crossbar=Crossbar.from_config(hw),
        adc=Adc.from_config(hw),
        dac=Dac.from_config(hw),
        sample_hold=SampleHold.from_config(hw),
        ima_shift_add=ShiftAdd.ima(hw),
        input_register=Register.from_register("ima.input_register", hw.ima.input_register),
        ima_output_register=Register.from_register("ima.output_register", hw.ima.output_register),
        edram=Edram.from_config(hw),
        bus=Bus.from_config(hw),
        router=Router.from_config(hw),
        sigmoid=DigitalUnit.from_unit("tile.sigmoid", hw.tile.sigmoid),
        tile_shift_add=ShiftAdd.tile(hw),
        maxpool=DigitalUnit.from_unit("tile.maxpool", hw.tile.maxpool),
        tile_output_register=Register.from_register(
            "tile.output_register", hw.tile.output_register
        ),
        hypertransport=HyperTransport.from_config(hw),
        cpu=Cpu.from_config(hw),
    )
