"""Draw fault maps with numpy generators keyed by (seed, chip, what is drawn).

Each layer (or crossbar, for clustered faults) has its own stream derived from the seed, the
chip index and a stable hash of its name, so a layer's faults do not depend on which other
layers exist, how many chips are drawn or in which order, nor on the model's weights: two
models with the same layer shapes (e.g. trained by different methods) meet the same chips.

Independent faults are drawn as a Bernoulli(rate) process over the flattened units via
geometric gaps between faulty units (exact, and O(faults) rather than O(units)); each fault is
stuck-on with probability p_on, else stuck-off.
"""

import hashlib
import math

import numpy as np
import torch

from archsim.faults.models import OK, STUCK_OFF, STUCK_ON, FaultModel
from archsim.faults.records import LayerFaults
from archsim.faults.sites import FaultSite, crossbar_key


def stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def unit_rng(seed: int, chip: int, key: str) -> np.random.Generator:
    """The generator for one named unit (a layer, a crossbar) of chip `chip`."""
    if seed < 0 or chip < 0:
        raise ValueError(f"seed and chip index must be >= 0, got {seed}, {chip}")
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(chip, stable_hash(key))))


def bernoulli_positions(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """Sorted indices of the successes of n Bernoulli(rate) trials (int64)."""
    if rate <= 0.0 or n == 0:
        return np.zeros(0, dtype=np.int64)
    if rate >= 1.0:
        return np.arange(n, dtype=np.int64)
    chunks, last = [], -1
    while True:
        remaining = (n - 1 - last) * rate
        gaps = rng.geometric(rate, size=int(remaining + 6 * math.sqrt(remaining) + 16))
        positions = last + np.cumsum(gaps)
        if positions[-1] >= n:
            chunks.append(positions[positions < n])
            return np.concatenate(chunks)
        chunks.append(positions)
        last = int(positions[-1])


def draw_kinds(rng: np.random.Generator, count: int, p_on: float) -> np.ndarray:
    """Each fault stuck-on with probability p_on, else stuck-off. A p_on of 0 or 1 decides
    every kind without drawing (the same kinds; every caller draws its kinds last)."""
    if p_on <= 0.0 or p_on >= 1.0:
        return np.full(count, STUCK_ON if p_on >= 1.0 else STUCK_OFF, dtype=np.int8)
    return np.where(rng.random(count) < p_on, STUCK_ON, STUCK_OFF).astype(np.int8)


def crossbar_index(sites: tuple[FaultSite, ...]) -> dict[tuple[int, int, int, int], int]:
    """Number the physical crossbars the sites use, in a fixed (sorted) order."""
    keys = sorted({crossbar_key(b) for site in sites for b in site.blocks})
    return {key: i for i, key in enumerate(keys)}


def draw_lines(
    crossbars: dict[tuple[int, int, int, int], int],
    lines: int,
    model: FaultModel,
    rate: float,
    seed: int,
    chip: int,
) -> np.ndarray:
    """int8 states of every row (or column) of every used crossbar: shape (crossbars, lines)."""
    out = np.full((len(crossbars), lines), OK, dtype=np.int8)
    for key, i in crossbars.items():  # one stream per crossbar, vectorised over its lines
        rng = unit_rng(seed, chip, f"{model.granularity}:xbar{'.'.join(map(str, key))}")
        stuck = bernoulli_positions(rng, lines, rate)
        out[i, stuck] = draw_kinds(rng, len(stuck), model.p_on)
    return out


def lines_to_faults(
    site: FaultSite,
    crossbars: dict[tuple[int, int, int, int], int],
    line_states: np.ndarray,
    granularity: str,
) -> LayerFaults:
    """The cells of `site` lying on stuck rows / columns (every cell of a stuck line)."""
    cells = site.cells.cells_per_weight
    found: list[tuple[np.ndarray, np.ndarray]] = []
    for b in site.blocks:  # per block, vectorised over its stuck lines
        states = line_states[crossbars[crossbar_key(b)]]
        if granularity == "row":
            rel = np.flatnonzero(states[b.row_offset : b.row_offset + b.weight_rows])
            r = b.row_start + rel[:, None, None]
            c = np.arange(b.col_start, b.col_end)[None, :, None]
            k = np.arange(cells)[None, None, :]
            kinds = states[b.row_offset + rel][:, None, None]
        else:
            rel = np.flatnonzero(states[b.col_offset : b.col_offset + b.weight_cols * cells])
            r = np.arange(b.row_start, b.row_end)[None, :]
            c, k = (b.col_start + rel // cells)[:, None], (rel % cells)[:, None]
            kinds = states[b.col_offset + rel][:, None]
        index = site.cell_index(b, r, c, k).reshape(-1)
        found.append(
            (
                index,
                np.broadcast_to(
                    kinds, np.broadcast_shapes(np.shape(r), np.shape(c), np.shape(k))
                ).reshape(-1),
            )
        )
    index = np.concatenate([f[0] for f in found]) if found else np.zeros(0, np.int64)
    kind = np.concatenate([f[1] for f in found]) if found else np.zeros(0, np.int8)
    return LayerFaults(
        site.cell_shape,
        torch.from_numpy(index.astype(np.int64)),
        torch.from_numpy(kind.astype(np.int8)),
    )


def check_blocks(site: FaultSite) -> None:
    """Line faults need each replica's blocks to tile the weight matrix exactly."""
    area = sum(b.weight_rows * b.weight_cols for b in site.blocks) // site.copies
    inside = all(
        0 <= b.group < site.groups
        and 0 <= b.row_start < b.row_end <= site.matrix_rows
        and 0 <= b.col_start < b.col_end <= site.matrix_cols
        for b in site.blocks
    )
    if not inside or area != site.groups * site.matrix_rows * site.matrix_cols:
        raise ValueError(f"layer {site.name}: crossbar blocks do not tile the weight matrix")
