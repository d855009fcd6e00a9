"""Cut one weight layer's matrices into crossbar-sized blocks (one replica, no placement yet).

A layer with `groups` groups has one `k*k*cin/groups` x `cout/groups` matrix per group. A
block of `h` x `w` weights uses `h` crossbar rows and reads `w * cells_per_weight +
read_columns` crossbar columns (its unit column and any spare columns' cells; the layer's
`bias_columns` records that number, so the cost model reads, samples and converts them too),
so a block holds at most `rows` matrix rows and `weights_per_row` matrix columns (see
`geometry.py`: ISAAC's unit column is a column beside the `cols` weight columns).

- Ordinary layers (and groups too large to share a crossbar): every group's matrix is cut into
  `ceil(r / rows)` x `ceil(c / weights_per_row)` blocks, one crossbar each, so a layer needs
  `groups * ceil(r / rows) * ceil(c / weights_per_row)` crossbars. Blocks of one layer never
  share a crossbar: partial sums of row blocks are added digitally, as in ISAAC.
- Grouped and depthwise layers whose whole group matrix fits on one crossbar: groups are
  packed block-diagonally, `per = min(rows // r, cols // (c * cells_per_weight + bias))` to a
  crossbar (`bias` = `read_columns`). Each group reads its own input rows and drives its own
  columns (and its own unit column, inside the array), so no group's sum mixes with
  another's; the rest of the crossbar stays empty, which is why depthwise layers show a low
  utilization.

Cell layout of a block (the convention the fault simulator follows): matrix row
`row_start + i` sits on crossbar row `row_offset + i`; matrix column `col_start + j` occupies
crossbar columns `col_offset + j * cells_per_weight + s` for s in [0, cells_per_weight), bit
slice s = 0 most significant (differential: the positive copy's slices, then the negative
copy's); the block's unit column (offset encoding) is the next column,
`col_offset + weight_cols * cells_per_weight`, inside the array (`in_array`, and every
packed group), or the crossbar's extra column `cols` beside the array (`extra_column`, one
per crossbar, for the one cut block a crossbar holds). Weight cells always lie in columns
0 .. cols - 1.
"""

import math
from dataclasses import dataclass

from archsim.mapping.geometry import Geometry
from archsim.mapping.records import LayerSpec


@dataclass(frozen=True)
class TiledBlock:
    """A rectangle of one group's matrix and where it sits on the layer's `slot`-th crossbar."""

    group: int
    row_start: int
    row_end: int
    col_start: int
    col_end: int
    slot: int  # crossbar index within one replica of the layer, 0 .. crossbars - 1
    row_offset: int = 0
    col_offset: int = 0


@dataclass(frozen=True)
class LayerTiling:
    """All blocks of one replica of one layer."""

    cells_per_weight: int
    bias_columns: int
    blocks: tuple[TiledBlock, ...]
    crossbars: int  # crossbars one replica occupies
    weight_cells: int  # cells holding weight slices in one replica (unit columns excluded)
    groups_per_crossbar: int  # > 1 when small group matrices share a crossbar (block-diagonal)

    def utilization(self, geometry: Geometry) -> float:
        """Weight cells / all cells of the crossbars used (unit columns count as unused)."""
        return self.weight_cells / (self.crossbars * geometry.cells_per_crossbar)


def block_diagonal_capacity(spec: LayerSpec, geometry: Geometry) -> int:
    """Groups of `spec` one crossbar holds side by side; 0 if one group's matrix won't fit."""
    group_columns = spec.matrix_cols * geometry.cells_per_weight + geometry.read_columns
    if spec.matrix_rows > geometry.rows or group_columns > geometry.cols:
        return 0
    return min(geometry.rows // spec.matrix_rows, geometry.cols // group_columns)


def _packed(spec: LayerSpec, geometry: Geometry, per_crossbar: int) -> tuple[TiledBlock, ...]:
    rows, cols = spec.matrix_rows, spec.matrix_cols
    group_columns = cols * geometry.cells_per_weight + geometry.read_columns
    return tuple(
        TiledBlock(
            group=group,
            row_start=0,
            row_end=rows,
            col_start=0,
            col_end=cols,
            slot=group // per_crossbar,
            row_offset=(group % per_crossbar) * rows,
            col_offset=(group % per_crossbar) * group_columns,
        )
        for group in range(spec.groups)
    )


def _cut(spec: LayerSpec, geometry: Geometry) -> tuple[TiledBlock, ...]:
    rows, cols = spec.matrix_rows, spec.matrix_cols
    row_starts = range(0, rows, geometry.rows)
    col_starts = range(0, cols, geometry.weights_per_row)
    per_group = len(row_starts) * len(col_starts)
    blocks = []
    for group in range(spec.groups):
        for i, row_start in enumerate(row_starts):
            for j, col_start in enumerate(col_starts):
                blocks.append(
                    TiledBlock(
                        group=group,
                        row_start=row_start,
                        row_end=min(row_start + geometry.rows, rows),
                        col_start=col_start,
                        col_end=min(col_start + geometry.weights_per_row, cols),
                        slot=group * per_group + i * len(col_starts) + j,
                    )
                )
    return tuple(blocks)


def tile_layer(spec: LayerSpec, geometry: Geometry) -> LayerTiling:
    """Blocks of one replica of a conv or linear layer on crossbars of `geometry`."""
    per_crossbar = block_diagonal_capacity(spec, geometry) if spec.groups > 1 else 0
    if per_crossbar >= 2:
        blocks = _packed(spec, geometry, per_crossbar)
        crossbars = math.ceil(spec.groups / per_crossbar)
    else:
        blocks = _cut(spec, geometry)
        crossbars = len(blocks)
        per_crossbar = 1
    return LayerTiling(
        cells_per_weight=geometry.cells_per_weight,
        bias_columns=geometry.read_columns,
        blocks=blocks,
        crossbars=crossbars,
        weight_cells=spec.groups * spec.matrix_rows * spec.matrix_cols * geometry.cells_per_weight,
        groups_per_crossbar=per_crossbar,
    )
