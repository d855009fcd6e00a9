"""The few hardware numbers the mapper needs, checked once, with ISAAC's packing rules.

A weight of `weight_bits` bits is cut into `ceil(weight_bits / bits_per_cell)` bit slices,
one cell each, laid side by side along a crossbar row (ISAAC stores a 16-bit weight in eight
2-bit cells). Signed weights need one of two encodings:

- `differential`: a positive and a negative copy of every slice, so twice the cells and no
  extra column;
- `offset` (ISAAC): weights are stored with a bias added so every cell is non-negative, and
  the bias times the sum of the inputs is subtracted digitally afterwards. Where that sum
  comes from is the hardware's `offset_reference`:
  - `extra_column` (ISAAC, docs/reference.md s.1): a unit column beside the `cols` weight
    columns, driven by the same rows in the same cycle, with its own sample-and-hold and ADC
    sample. A 128-column ISAAC crossbar holds 128 // 8 = 16 weights per row, and every cycle
    reads, samples and converts 129 columns (at 1.28 GS/s one ADC takes 129 / 1.28 = 100.78
    ns for them, so the ADC, not the 100 ns read, sets the cycle);
  - `input_count`: the tile counts the input bits digitally each cycle; no column, 16 weights;
  - `in_array`: the unit column is one of the `cols` columns: floor((128 - 1) / 8) = 15
    weights per row, 7 columns empty.
  A crossbar with an extra column has one, so it serves the one block a cut layer puts on the
  crossbar; groups packed block-diagonally read disjoint rows and need a sum each, so each
  packed group carries its unit column inside the array (except with `input_count`).
"""

import math
from dataclasses import dataclass
from typing import Any

from archsim.config.hwparts import OFFSET_REFERENCES, OffsetReference
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
    offset_reference: OffsetReference = "extra_column"  # ISAAC's; read with `offset` only

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
        if self.offset_reference not in OFFSET_REFERENCES:
            raise UserError(
                f"hardware {self.name}: offset reference {self.offset_reference!r} is not one "
                f"of {', '.join(OFFSET_REFERENCES)}"
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
    def unit_columns(self) -> int:
        """Unit columns a cut block reads beside its weights (offset, not `input_count`)."""
        return int(self.encoding == "offset" and self.offset_reference != "input_count")

    @property
    def unit_columns_inside(self) -> int:
        """Weight columns of a crossbar given up to the unit column (`in_array` only)."""
        return int(self.encoding == "offset" and self.offset_reference == "in_array")

    @property
    def spare_cells(self) -> int:
        """Columns a block reserves for its spare weights (`spare_columns` x cells)."""
        return self.spare_columns * self.cells_per_weight

    @property
    def extra_columns(self) -> int:
        """Columns of the `cols` a cut block gives up beside its weights: an in-array unit
        column and the spares' cells."""
        return self.unit_columns_inside + self.spare_cells

    @property
    def read_columns(self) -> int:
        """Columns a block reads beyond its weight cells: its unit column (inside the array
        or beside it) and the spares' cells. A block-diagonally packed group reads as many,
        all inside the array: one extra column cannot sum two groups' inputs."""
        return self.unit_columns + self.spare_cells

    @property
    def weights_per_row(self) -> int:
        """Whole weights a crossbar row holds beside an in-array unit column and spares."""
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
            offset_reference=hw.crossbar.offset_reference or "extra_column",
        )


def resolve_geometry(hw: "Geometry | str | Any") -> Geometry:
    """A Geometry from itself, a hardware name/path (loaded), or a HardwareConfig."""
    if isinstance(hw, Geometry):
        return hw
    if isinstance(hw, str):
        from archsim.config.hardware import load_hardware

        return Geometry.from_hardware(load_hardware(hw))
    return Geometry.from_hardware(hw)
