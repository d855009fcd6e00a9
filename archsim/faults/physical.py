"""Cell-level fault maps by physical position: (chip, tile, IMA, crossbar, row, column).

A test lab measures crossbars, not layers. This module moves a cell fault map (`ChipFaults`
of kind "cell", the representation `faultmap.py` stores) between the layers' cells and the
crossbar cells the mapping places them on, using the crossbar blocks of replica 0 (the
copy the fault simulator faults, see sites.py):

    weight (group g, matrix column c, matrix row r), cell k of a block b  ->
    crossbar (b.chip, b.tile, b.ima, b.crossbar),
    row    = b.row_offset + (r - b.row_start),
    column = b.col_offset + (c - b.col_start) * cells_per_weight + k

(ISAAC's layout: a weight's cells side by side along its row). The flat cell index within
the layer is ((g * cols + c) * rows + r) * cells_per_weight + k, as everywhere in faults/.
Cells no weight occupies (unused cells, the offset encoding's unit columns, other replicas)
are outside the mapping: their states are read, counted and ignored.
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
    crossbar: np.ndarray  # (cells, 4) chip, tile, ima, crossbar
    row: np.ndarray
    column: np.ndarray


def place_cells(site: FaultSite) -> Placement:
    """Where each cell of `site` lies (blocks in order, vectorised within a block)."""
    rows, cols, cells = site.matrix_rows, site.matrix_cols, site.cells.cells_per_weight
    parts: list[tuple[np.ndarray, ...]] = []
    for b in site.blocks:
        r = np.arange(b.row_start, b.row_end)[:, None, None]
        c = np.arange(b.col_start, b.col_end)[None, :, None]
        k = np.arange(cells)[None, None, :]
        shape = np.broadcast_shapes(r.shape, c.shape, k.shape)
        index = ((b.group * cols + c) * rows + r) * cells + k
        row = b.row_offset + (r - b.row_start)
        column = b.col_offset + (c - b.col_start) * cells + k
        parts.append((np.broadcast_to(index, shape).reshape(-1),
                      np.broadcast_to(row, shape).reshape(-1),
                      np.broadcast_to(column, shape).reshape(-1),
                      np.tile(np.array(crossbar_key(b)), (int(np.prod(shape)), 1))))
    if not parts:
        empty = np.zeros(0, np.int64)
        return Placement(empty, np.zeros((0, 4), np.int64), empty, empty)
    return Placement(np.concatenate([p[0] for p in parts]).astype(np.int64),
                     np.concatenate([p[3] for p in parts]).astype(np.int64),
                     np.concatenate([p[1] for p in parts]).astype(np.int64),
                     np.concatenate([p[2] for p in parts]).astype(np.int64))  # fmt: skip


def used_crossbars(sites: tuple[FaultSite, ...]) -> list[XbarKey]:
    return sorted({crossbar_key(b) for s in sites for b in s.blocks})


def to_crossbars(chip: ChipFaults, sites: tuple[FaultSite, ...], rows: int, cols: int
                 ) -> dict[XbarKey, np.ndarray]:
    """The (rows, cols) int8 states of every crossbar the sites use (cell maps only)."""
    arrays = {key: np.full((rows, cols), OK, dtype=np.int8) for key in used_crossbars(sites)}
    for site in sites:
        states = chip.layers[site.name].dense().reshape(-1).numpy()
        where = place_cells(site)
        faulty = np.flatnonzero(states[where.index] != OK)
        for key in {tuple(map(int, k)) for k in where.crossbar[faulty]}:
            on = faulty[(where.crossbar[faulty] == key).all(axis=1)]
            arrays[key][where.row[on], where.column[on]] = states[where.index[on]]  # type: ignore[index]
    return arrays


def from_crossbars(arrays: dict[XbarKey, np.ndarray], sites: tuple[FaultSite, ...],
                   fault_model: str = "measured") -> tuple[ChipFaults, int]:
    """The cell fault map the crossbar states give each site, and how many faulty cells lie
    outside the mapping (ignored). Every crossbar the sites use must be in `arrays`."""
    layers: dict[str, LayerFaults] = {}
    read = 0
    for site in sites:
        where = place_cells(site)
        states = np.full(int(np.prod(site.cell_shape)), OK, dtype=np.int8)
        for key in {crossbar_key(b) for b in site.blocks}:
            on = (where.crossbar == np.array(key)).all(axis=1)
            states[where.index[on]] = arrays[key][where.row[on], where.column[on]]
        layers[site.name] = LayerFaults.from_dense(torch.from_numpy(states).reshape(
            site.cell_shape))
        read += int((states != OK).sum())
    total = sum(int((a != OK).sum()) for a in arrays.values())
    return ChipFaults("cell", layers, fault_model, None), total - read
