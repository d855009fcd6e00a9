"""Stages and action counts of a layer on RRAM crossbars.

One output pixel is one matrix-vector product (MVM): every block of one replica fires for
`input_cycles` crossbar cycles (ISAAC: 16 one-bit cycles of 100 ns). Replicas split the
pixels: they are dealt into `lanes` (replica r -> lane r % lanes, lanes = ceil(replicas /
pixels per group), at most the number of groups) so a heavily replicated layer works on
several groups at once; groups go to lanes round robin. A group of p pixels takes
max(1, p / (replicas / lanes)) waves: replicas that finish early start on the next pixels,
so waves are counted fluidly (a layer streams P / replicas waves per image, the rate ISAAC's
replication plans for), but a group never takes less than one MVM.

ADCs: each crossbar cycle produces one sample per used column, which an ADC converts at its
sample rate; an IMA's ADCs are shared by its crossbars (`AdcClass`). An ADC serves one
crossbar's conversions for a whole group before taking the next crossbar's (first come first
served), so an IMA with K busy crossbars and A ADCs takes ceil(K / A) turns when the turns are
equal. A wave lasts max(crossbar time, ADC time): conversions are pipelined with the crossbar
reads (ISAAC sizes one 1.28 GS/s ADC per 128-column crossbar to match the 100 ns cycle).
Shift-and-add work is counted for energy and assumed pipelined behind the ADCs (ISAAC's
22-cycle pipeline); eDRAM reads and the bus likewise never stall the crossbars.

Outputs and partial sums move over routers and chip links in a transfer stage
(`plan_network.py`).
"""

import numpy as np

from archsim.hw.registry import specs
from archsim.hw.spec import MvmWork
from archsim.mapping.dealing import lane_count
from archsim.mapping.records import CrossbarBlock, LayerMapping
from archsim.perf.costs import PerfCosts
from archsim.perf.plan_network import LayerTraffic
from archsim.perf.stages import AdcClass, Stage

__all__ = ["lane_count"]


def physical_columns(lm: LayerMapping, block: CrossbarBlock) -> int:
    """Crossbar columns a block drives: cells per weight side by side, plus bias columns."""
    return block.weight_cols * lm.cells_per_weight + lm.bias_columns


def lane_adc_banks(
    lm: LayerMapping, lanes: int, shared_imas: frozenset[int], costs: PerfCosts
) -> tuple[tuple[AdcClass, ...], ...]:
    """ADC banks per lane: shared IMAs (node-wide IMA indices) by position, identical private
    IMAs merged into one. Numpy over every replica's blocks; IMAs in order of first use."""
    assert lm.layout is not None
    layout, p = lm.layout, lm.layout.positions
    per_ima, imas = layout.crossbars_per_ima, int(p.ima_global.max()) + 1
    columns = np.array([physical_columns(lm, b) for b in lm.blocks], dtype=np.int64)
    lane = p.replica % lanes
    # conversions per MVM of each (lane, IMA, crossbar): blocks on one crossbar add up
    slot, first, inverse = np.unique(
        (lane * imas + p.ima_global) * per_ima + p.crossbar, return_index=True, return_inverse=True
    )
    conversions = np.bincount(inverse, weights=columns[p.block] * costs.input_cycles)
    users, group = np.unique(slot // per_ima, return_inverse=True)  # one (lane, IMA) each
    first_use = np.full(len(users), len(p.replica))
    np.minimum.at(first_use, group, first)
    # each (lane, IMA)'s conversions ascending, right-aligned in a row padded with -1
    order = np.lexsort((conversions, group))
    sizes = np.bincount(group)
    rank = np.arange(len(order)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    rows = np.full((len(users), per_ima), -1.0)
    rows[group[order], per_ima - sizes[group[order]] + rank] = conversions[order]
    by_use = np.argsort(first_use, kind="stable")
    user_lane, user_ima = np.divmod(users[by_use], imas)
    rows = rows[by_use]
    shared = np.isin(user_ima, list(shared_imas))
    result = []
    for index in range(lanes):
        here = user_lane == index
        entries: list[tuple[int, tuple[object, ...], np.ndarray]] = []
        for position in np.flatnonzero(here & shared).tolist():
            tile_global, ima = divmod(int(user_ima[position]), layout.imas_per_tile)
            chip, tile = divmod(tile_global, layout.tiles_per_chip)
            entries.append((position, ("ima", chip, tile, ima), rows[position]))
        private = np.flatnonzero(here & ~shared)
        if len(private):
            unique, at = np.unique(rows[private], axis=0, return_index=True)
            for row, position in zip(unique, private[at].tolist(), strict=True):
                entries.append((position, (), row))
        banks = []
        for _, key, row in sorted(entries, key=lambda entry: entry[0]):
            jobs = tuple(float(c) / costs.adc_sample_rate_hz for c in row if c >= 0)
            key = key or ("private", lm.spec.name, index, jobs)
            banks.append(AdcClass(key, jobs, costs.adcs_per_ima, key[0] == "ima"))
        result.append(tuple(banks))
    return tuple(result)


def adc_makespan_s(jobs_s: tuple[float, ...], adcs: int) -> float:
    """Finish time of jobs served first come first served by `adcs` ADCs (all queued at 0)."""
    if len(jobs_s) <= adcs:
        return max(jobs_s, default=0.0)
    free = [0.0] * adcs
    for job in jobs_s:
        first = free.index(min(free))
        free[first] += job
    return max(free, default=0.0)


def compute_stage(
    lm: LayerMapping,
    group_pixels: tuple[int, ...],
    lane_adc: tuple[tuple[AdcClass, ...], ...],
    costs: PerfCosts,
) -> Stage:
    """A group of p pixels takes max(1, p / (replicas / lanes)) waves of one MVM each."""
    replicas_per_lane = lm.replicas / len(lane_adc)
    waves = tuple(max(1.0, p / replicas_per_lane) for p in group_pixels)
    banks = {bank.key: bank for lane in lane_adc for bank in lane}.values()
    # one wave's ADC finish time, each bank as if its user had it alone (a bank no other lane
    # or layer uses serves its crossbars first come first served, the same schedule every
    # wave, so its makespan is exact; the DES queues the users of a shared bank); scaling
    # every job by w scales the makespan by w
    adc = max((adc_makespan_s(b.job_s_per_wave, b.adcs) for b in banks), default=0.0)
    durations = tuple(w * max(costs.mvm_time_s, adc) for w in waves)
    return Stage("compute", len(lane_adc), durations, waves=waves, lane_adc=lane_adc)


def mvm_work(lm: LayerMapping, traffic: LayerTraffic, costs: PerfCosts) -> MvmWork:
    """The work of one MVM (one output pixel); traffic averaged over the replicas.

    Replicas are copies of one tiling, so the crossbar work of replica 0 is every replica's.
    """
    spec, cycles = lm.spec, costs.input_cycles
    blocks = lm.blocks
    columns = [physical_columns(lm, b) for b in blocks]
    return MvmWork(
        cycles=cycles,
        cells=sum(b.weight_rows * c for b, c in zip(blocks, columns, strict=True)),
        rows=sum(b.weight_rows for b in blocks),
        cols=sum(columns),
        merges=sum(b.weight_cols for b in blocks) - spec.out_channels,
        in_bits=costs.input_bits,
        out_bits=costs.output_bits,
        input_vector_bits=spec.groups * spec.matrix_rows * costs.input_bits,
        output_vector_bits=spec.out_channels * costs.output_bits,
        router_bits=traffic.router_bits,
        chip_bits=traffic.chip_bits,
    )


def mvm_counts(lm: LayerMapping, traffic: LayerTraffic, costs: PerfCosts) -> dict[str, float]:
    """Action counts of one MVM: each registered component's `per_mvm` rules (the crossbar's
    cell reads, the ADC's conversions, the eDRAM's and routers' bits, ...)."""
    work = mvm_work(lm, traffic, costs)
    return {ref.key: rule(work) for spec in specs() for ref, rule in spec.per_mvm}
