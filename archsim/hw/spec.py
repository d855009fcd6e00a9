"""What a component module declares once: name, level, count rule, config block and actions.

A `ComponentSpec` is all the rest of archsim needs to know about a component: the chip
composition (`chip.py`) counts its instances with `count` (per IMA, tile or chip, as `level`
says) and `per_chip`; the cost table (`archsim/perf/hw_costs.py`) prices each of its
`actions`; the RRAM plan counts the actions it performs per matrix-vector product with its
`per_mvm` rules (`MvmWork`); other plans count the rest through the `ActionRef` constants.
The spec checks itself on import: its actions must be its own and exactly those its config
block requires, so a misspelt action fails at import and never counts zero.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel

from archsim.config import hwparts
from archsim.config.hwschema import HardwareConfig
from archsim.hw.component import ActionRef, Component

Level = Literal["ima", "tile", "chip", "host"]
C = TypeVar("C", bound=Component)


@dataclass(frozen=True)
class MvmWork:
    """One matrix-vector product (one output pixel) of one RRAM layer, one replica's blocks."""

    cycles: int  # crossbar cycles of the product (input bits / DAC bits)
    cells: int  # cells the layer's blocks drive (rows x physical columns, summed)
    rows: int  # crossbar rows driven, summed over the blocks
    cols: int  # physical columns read, summed over the blocks
    merges: int  # partial sums merged in the tile: row blocks sharing a column range, less one
    in_bits: int  # bits of one input value
    out_bits: int  # bits of one output or partial-sum value
    input_vector_bits: int  # the layer's input vector (groups x matrix rows x in_bits)
    output_vector_bits: int  # its output vector (out channels x out_bits)
    router_bits: float  # bits leaving tile routers (mean over replicas, plan_network.py)
    chip_bits: float  # bits crossing chip links (mean over replicas)


MvmRule = Callable[[MvmWork], float]


@dataclass(frozen=True)
class ComponentSpec(Generic[C]):
    """One registered component kind (`archsim/hw/registry.py` lists them in order)."""

    name: str  # qualified, e.g. "ima.adc"; the key of the energy breakdown
    level: Level  # where `count` counts instances; "host" components are not on the chip
    block: type[BaseModel]  # its config block's model (a `hwparts.ComponentBlock` on the chip)
    build: Callable[[HardwareConfig], C]  # one instance's costs from a description
    actions: tuple[ActionRef, ...]
    count: Callable[[HardwareConfig], float] = lambda hw: 1  # instances per IMA/tile/chip
    per_chip: Callable[[HardwareConfig], int] | None = None  # default: count x level units
    per_mvm: tuple[tuple[ActionRef, MvmRule], ...] = ()  # actions counted per MVM

    def __post_init__(self) -> None:
        foreign = [a.key for a in self.actions if a.component != self.name]
        if foreign:
            raise ValueError(f"{self.name}: action {foreign[0]} is another component's")
        counted = [a.key for a, _ in self.per_mvm if a not in self.actions]
        if counted:
            raise ValueError(f"{self.name}: per_mvm counts {counted[0]}, not one of its actions")
        required = getattr(self.block, "ACTIONS", None)
        names = tuple(a.action for a in self.actions)
        if issubclass(self.block, hwparts.ComponentBlock) and sorted(names) != sorted(
            required or ()
        ):
            raise ValueError(
                f"{self.name}: actions {', '.join(names) or 'none'} differ from its block's "
                f"{', '.join(required or ()) or 'none'}"
            )

    @property
    def section(self) -> str:
        """The section of the description its block sits in ("ima", "tile", "chip")."""
        return self.name.split(".", 1)[0]

    @property
    def key(self) -> str:
        """Its block's key inside `section`."""
        return self.name.split(".", 1)[-1]

    def instances_per_chip(self, hw: HardwareConfig) -> int:
        if self.per_chip is not None:
            return self.per_chip(hw)
        units = {"ima": hw.tile.imas * hw.chip.tiles, "tile": hw.chip.tiles, "chip": 1}
        return round(self.count(hw) * units[self.level])
