"""Spare columns: k spare weight columns per crossbar block take over its most damaging columns.

A block of R rows and C weight columns gets k spare weight columns (k x cells-per-weight
physical columns, which the mapper reserves: `mapping.geometry`, and the cost model charges).
The spares are cells like any other, so they are faulty too: spare j of block b of chip i is
drawn from the chip's fault model at `spare_rate` (default the chip's rate) with its own
seeded stream (seed, chip, "spare:<layer>:<block>"), so every technique meets the same
spares. Moving logical column c onto spare j changes its harm from
sum_r harm(r, c) x stuck(r, c) to sum_r harm(r, c) x spare_stuck(r, j) (`blockview.harm`);
which columns go to which spares is the assignment that maximises the total gain, solved
exactly by the Hungarian method on the C x k gain matrix (pairs with no gain are not used), so
a spare is never worse than keeping the column. Weight-granularity maps only.
"""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from archsim.faults.blockview import (
    block_faults,
    check_weight_map,
    harm,
    layer_from_slots,
)
from archsim.faults.draw import bernoulli_positions, draw_kinds, unit_rng
from archsim.faults.inject import FaultInjector
from archsim.faults.models import STUCK_OFF, STUCK_ON, check_rate
from archsim.faults.presets import get_fault_model
from archsim.faults.records import ChipFaults, LayerFaults


def spare_states(
    layer: str, block: int, rows: int, k: int, p_on: float, rate: float, seed: int, chip: int
) -> np.ndarray:
    """int8 states (rows, k) of block `block`'s k spare columns (OK / STUCK_OFF / STUCK_ON)."""
    states = np.zeros(rows * k, dtype=np.int8)
    rng = unit_rng(seed, chip, f"spare:{layer}:{block}")
    stuck = bernoulli_positions(rng, rows * k, rate)
    states[stuck] = draw_kinds(rng, len(stuck), p_on)
    return states.reshape(k, rows).T  # spare j is column j: its rows drawn in order


@dataclass(frozen=True)
class SpareResult:
    chip: ChipFaults
    harm_before: float
    harm_after: float
    replaced: int  # columns moved onto a spare, over all blocks


def apply_spares(
    injector: FaultInjector, chip: ChipFaults, k: int, spare_rate: float | None = None
) -> SpareResult:
    """`chip` with each block's best columns moved onto its k spares (see the module doc)."""
    check_weight_map(chip, "spare columns")
    if k < 0:
        raise ValueError(f"spare columns must be >= 0, got {k}")
    rate = check_rate(spare_rate if spare_rate is not None else chip.rate or 0.0)
    p_on = get_fault_model(chip.fault_model).p_on if rate > 0 else 0.0
    seed, number = chip.seed or 0, chip.chip or 0
    layers: dict[str, LayerFaults] = dict(chip.layers)
    before = after = 0.0
    replaced = 0
    for site in injector.sites:
        if site.name not in layers:
            continue
        q = injector.quantized[site.name]
        index: list[np.ndarray] = []
        kinds: list[np.ndarray] = []
        for b, bf in enumerate(block_faults(site, q.codes, chip)):
            if bf.faults == 0:  # no harm, no spare used, no fault to place
                continue
            h_off, h_on = harm(bf.codes, q.qmax)
            own = (h_off * bf.off + h_on * bf.on).sum(axis=0)  # (C,)
            off, on = bf.off.copy(), bf.on.copy()
            before += float(own.sum())
            if k > 0 and own.any():
                spare = spare_states(site.name, b, bf.codes.shape[0], k, p_on, rate, seed, number)
                s_off = (spare == STUCK_OFF).astype(np.float64)
                s_on = (spare == STUCK_ON).astype(np.float64)
                gain = own[:, None] - (h_off.T @ s_off + h_on.T @ s_on)  # (C, k)
                cols, spares = linear_sum_assignment(gain, maximize=True)
                use = gain[cols, spares] > 0
                cols, spares = cols[use], spares[use]
                off[:, cols], on[:, cols] = s_off[:, spares], s_on[:, spares]
                replaced += len(cols)
            after += float((h_off * off + h_on * on).sum())
            for mask, kind in ((off, STUCK_OFF), (on, STUCK_ON)):
                hit = mask > 0
                index.append(bf.where[hit])
                kinds.append(np.full(int(hit.sum()), kind, np.int8))
        flat, flat_kinds = layer_from_slots(site, index, kinds)
        layers[site.name] = LayerFaults(layers[site.name].shape, flat, flat_kinds)
    meta = {**chip.meta, "tolerance": f"spare-{k}"}
    out = ChipFaults(chip.kind, layers, chip.fault_model, chip.rate, chip.seed, chip.chip, meta)
    return SpareResult(out, before, after, replaced)
