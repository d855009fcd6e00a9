"""Cell-level fault maps by physical position: (chip, tile, IMA, crossbar, row, column).

A test lab measures crossbars, not layers. This module moves a cell fault map (`ChipFaults`
of kind "cell", the representation `faultmap.py` stores) between the layers' cells and the
crossbar cells the mapping places them on, using the crossbar blocks of every replica the
fault simulator faults (a replicated layer's map has a leading copy dimension, see sites.py):

    weight (group g, matrix column c, matrix row r), cell k of a block b  ->
    crossbar (b.chip, b.tile, b.ima, b.crossbar),
    row    = b.row_offset + (r - b.row_start),
    column = b.col_offset + (c - b.col_start) * cells_per_weight + k

(ISAAC's layout: a weight's cells side by side along its row). The flat cell index within
the layer is ((g * cols + c) * rows + r) * cells_per_weight + k (`FaultSite.cell_index`).
Cells no weight occupies (unused cells, the offset encoding's unit columns) are outside
the mapping: their states are read, counted and ignored. Weight cells always lie
in columns 0 .. cols - 1; where the unit column is follows the hardware's
`crossbar.offset_reference` (`mapping/tiling.py`): ISAAC's `extra_column` is column `cols`,
beside the array and outside these (rows, cols) maps; `in_array` puts it after a block's
weights; `input_count` has none.
"""

from dataclasses import dataclass

import numpy as np
import torch

from archsim.faults.models import OK
from archsim.faults.records import ChipFaults, LayerFaults
from archsim.faults.sites import FaultSite, crossbar_key

XbarKey = tuple[int, int, int, int]  # (chip, tile, ima, crossbar)


@dataclass(frozen=True)
class Placement:
    """Every cell of one site: its flat index and where it sits."""

    index: np.ndarray  # flat cell index within the layer (int64)
    crossbar: np.ndarray  # position of its crossbar in `Layout.keys`
    row: np.ndarray
    column: np.ndarray


def used_crossbars(sites: tuple[FaultSite, ...]) -> list[XbarKey]:
    return sorted({crossbar_key(b) for s in sites for b in s.blocks})


def place_cells(site: FaultSite, number: dict[XbarKey, int]) -> Placement:
    """Where each cell of `site` lies (blocks in order, vectorised within a block)."""
    cells = site.cells.cells_per_weight
    parts: list[tuple[np.ndarray, ...]] = []
    for b in site.blocks:
        r = np.arange(b.row_start, b.row_end)[:, None, None]
        c = np.arange(b.col_start, b.col_end)[None, :, None]
        k = np.arange(cells)[None, None, :]
        shape = np.broadcast_shapes(r.shape, c.shape, k.shape)
        parts.append(
            (
                np.broadcast_to(site.cell_index(b, r, c, k), shape),
                np.full(shape, number[crossbar_key(b)]),
                np.broadcast_to(b.row_offset + (r - b.row_start), shape),
                np.broadcast_to(b.col_offset + (c - b.col_start) * cells + k, shape),
            )
        )
    flat = [np.concatenate([p[i].reshape(-1) for p in parts]).astype(np.int64) if parts
            else np.zeros(0, np.int64) for i in range(4)]  # fmt: skip
    return Placement(*flat)


class Layout:
    """The cells of every site on the crossbars the sites use, computed once."""

    def __init__(self, sites: tuple[FaultSite, ...]) -> None:
        self.sites = sites
        self.keys = used_crossbars(sites)
        number = {key: i for i, key in enumerate(self.keys)}
        self.placements = {site.name: place_cells(site, number) for site in sites}

    def to_crossbars(self, chip: ChipFaults, rows: int, cols: int) -> dict[XbarKey, np.ndarray]:
        """The (rows, cols) int8 states of every used crossbar (cell maps only)."""
        stack = np.full((len(self.keys), rows, cols), OK, dtype=np.int8)
        for site in self.sites:
            states = chip.layers[site.name].dense().reshape(-1).numpy()
            where = self.placements[site.name]
            on = np.flatnonzero(states[where.index] != OK)
            stack[where.crossbar[on], where.row[on], where.column[on]] = states[where.index[on]]
        return dict(zip(self.keys, stack, strict=True))

    def from_crossbars(
        self, arrays: dict[XbarKey, np.ndarray], fault_model: str = "measured"
    ) -> tuple[ChipFaults, int]:
        """The cell fault map the crossbar states give each site, and how many faulty cells
        lie outside the mapping (ignored). Every used crossbar must be in `arrays`."""
        stack = np.stack([arrays[key] for key in self.keys]) if self.keys else None
        layers: dict[str, LayerFaults] = {}
        read = 0
        for site in self.sites:
            where = self.placements[site.name]
            states = np.full(int(np.prod(site.cell_shape)), OK, dtype=np.int8)
            if stack is not None:
                states[where.index] = stack[where.crossbar, where.row, where.column]
            layers[site.name] = LayerFaults.from_dense(
                torch.from_numpy(states).reshape(site.cell_shape)
            )
            read += int((states != OK).sum())
        total = sum(int((a != OK).sum()) for a in arrays.values())
        return ChipFaults("cell", layers, fault_model, None), total - read
