"""The few hardware numbers the mapper needs, checked once, with ISAAC's packing rules.

A weight of `weight_bits` bits is cut into `ceil(weight_bits / bits_per_cell)` bit slices,
one cell each, laid side by side along a crossbar row (ISAAC stores a 16-bit weight in eight
2-bit cells). Signed weights need one of two encodings:

- `differential`: a positive and a negative copy of every slice, so twice the cells and no
  extra column;
- `offset` (ISAAC): weights are stored with a bias added so every cell is non-negative, and
  the bias times the sum of the inputs is subtracted digitally afterwards. That sum comes from
  one *unit column* of the same crossbar driven by the same rows in the same cycle, so each
  block of weights carries one extra column. The ADC digitises the crossbar's `cols`
  columns per cycle (128 at 1.28 GS/s in ISAAC), so the unit column is one of them, not a
  129th: a 128-column ISAAC crossbar holds floor((128 - 1) / 8) = 15 weights per row (120
  columns), plus the unit column, and 7 columns stay empty.
"""

import math
from dataclasses import dataclass
from typing import Any

from archsim.errors import UserError
from archsim.mapping.records import Encoding

ENCODINGS: tuple[Encoding, ...] = ("offset", "differential")


@dataclass(frozen=True)
class Geometry:
    """Crossbar size, bit slicing, encoding and the node's hierarchy of crossbars."""

    rows: int
    cols: int
    bits_per_cell: int
    weight_bits: int
    encoding: Encoding
    crossbars_per_ima: int
    imas_per_tile: int
    tiles_per_chip: int
    chips: int
    name: str = "custom"
    spare_columns: int = 0  # spare weight columns each block reserves (faults/spares.py)

    def __post_init__(self) -> None:
        for field_name in (
            "rows", "cols", "bits_per_cell", "weight_bits",
            "crossbars_per_ima", "imas_per_tile", "tiles_per_chip", "chips",
        ):  # fmt: skip
            value = getattr(self, field_name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UserError(
                    f"hardware {self.name}: {field_name} must be an integer >= 1, got {value!r}"
                )
        if (
            isinstance(self.spare_columns, bool)
            or not isinstance(self.spare_columns, int)
            or self.spare_columns < 0
        ):
            raise UserError(
                f"hardware {self.name}: spare columns must be an integer >= 0, "
                f"got {self.spare_columns!r}"
            )
        if self.encoding not in ENCODINGS:
            raise UserError(
                f"hardware {self.name}: encoding {self.encoding!r} is not one of "
                f"{', '.join(ENCODINGS)}"
            )
        if self.weights_per_row < 1:
            raise UserError(
                f"hardware {self.name}: a {self.cols}-column crossbar cannot hold one weight "
                f"({self.cells_per_weight} cells + {self.extra_columns} unit and spare columns)"
            )

    @property
    def cells_per_weight(self) -> int:
        """Physical cells per logical weight: bit slices, doubled for differential pairs."""
        slices = math.ceil(self.weight_bits / self.bits_per_cell)
        return slices * (2 if self.encoding == "differential" else 1)

    @property
    def bias_columns(self) -> int:
        """Unit columns each block of weights needs (offset encoding only)."""
        return 1 if self.encoding == "offset" else 0

    @property
    def extra_columns(self) -> int:
        """Physical columns of a block beyond its weights: the unit column and the spares'
        cells (`spare_columns` x cells per weight)."""
        return self.bias_columns + self.spare_columns * self.cells_per_weight

    @property
    def weights_per_row(self) -> int:
        """Whole weights a crossbar row holds beside one block's unit and spare columns."""
        return (self.cols - self.extra_columns) // self.cells_per_weight

    @property
    def cells_per_crossbar(self) -> int:
        return self.rows * self.cols

    @property
    def imas_per_chip(self) -> int:
        return self.imas_per_tile * self.tiles_per_chip

    @property
    def crossbars_per_chip(self) -> int:
        return self.crossbars_per_ima * self.imas_per_chip

    @classmethod
    def from_hardware(cls, hw: Any) -> "Geometry":
        """Read the numbers from a `HardwareConfig` (archsim.config.hardware)."""
        return cls(
            rows=hw.crossbar.rows,
            cols=hw.crossbar.cols,
            bits_per_cell=hw.crossbar.bits_per_cell,
            weight_bits=hw.precision.weight_bits,
            encoding=hw.crossbar.encoding,
            crossbars_per_ima=hw.ima.crossbars,
            imas_per_tile=hw.tile.imas,
            tiles_per_chip=hw.chip.tiles,
            chips=hw.node.chips,
            name=str(hw.name),
        )


def resolve_geometry(hw: "Geometry | str | Any") -> Geometry:
    """A Geometry from itself, a hardware name/path (loaded), or a HardwareConfig."""
    if isinstance(hw, Geometry):
        return hw
    if isinstance(hw, str):
        from archsim.config.hardware import load_hardware

        return Geometry.from_hardware(load_hardware(hw))
    return Geometry.from_hardware(hw)
