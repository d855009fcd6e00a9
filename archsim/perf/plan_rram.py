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

import math
from collections import defaultdict

from archsim.mapping.records import CrossbarBlock, LayerMapping
from archsim.perf.costs import PerfCosts
from archsim.perf.plan_network import Traffic
from archsim.perf.stages import AdcClass, Stage

ImaKey = tuple[int, int, int]  # chip, tile, ima


def physical_columns(lm: LayerMapping, block: CrossbarBlock) -> int:
    """Crossbar columns a block drives: cells per weight side by side, plus bias columns."""
    return block.weight_cols * lm.cells_per_weight + lm.bias_columns


def lane_count(replicas: int, group_pixels: tuple[int, ...]) -> int:
    """Groups a layer works on at once: enough to keep its replicas busy, at most all."""
    return max(1, min(math.ceil(replicas / max(group_pixels)), len(group_pixels)))


def ima_conversions(
    lm: LayerMapping, lanes: int, input_cycles: int
) -> list[dict[ImaKey, list[int]]]:
    """Per lane: IMA -> conversions per MVM of each of its crossbars used by that lane."""
    per_lane: list[dict[ImaKey, dict[int, int]]] = [defaultdict(dict) for _ in range(lanes)]
    for block in lm.blocks:
        crossbars = per_lane[block.replica % lanes][(block.chip, block.tile, block.ima)]
        crossbars[block.crossbar] = (
            crossbars.get(block.crossbar, 0) + physical_columns(lm, block) * input_cycles
        )
    return [{ima: sorted(xb.values()) for ima, xb in lane.items()} for lane in per_lane]


def adc_classes(
    name: str,
    conversions: list[dict[ImaKey, list[int]]],
    shared_imas: set[ImaKey],
    costs: PerfCosts,
) -> tuple[tuple[AdcClass, ...], ...]:
    """ADC banks per lane: shared IMAs by position, identical private IMAs merged into one."""
    result = []
    for lane, imas in enumerate(conversions):
        classes: dict[tuple[object, ...], AdcClass] = {}
        for ima, per_crossbar in imas.items():
            jobs = tuple(c / costs.adc_sample_rate_hz for c in per_crossbar)
            shared = ima in shared_imas
            key: tuple[object, ...] = ("ima", *ima) if shared else ("private", name, lane, jobs)
            classes[key] = AdcClass(key, jobs, costs.adcs_per_ima, shared)
        result.append(tuple(classes.values()))
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
    # one wave's ADC finish time; scaling every job by w scales the makespan by w
    uncontended = max((adc_makespan_s(b.job_s_per_wave, b.adcs) for b in banks
                       if not b.contended), default=0.0)
    private = max((adc_makespan_s(b.job_s_per_wave, b.adcs) for b in banks
                   if not b.shared), default=0.0)
    free = tuple(w * max(costs.mvm_time_s, uncontended) for w in waves)
    durations = tuple(w * max(costs.mvm_time_s, uncontended, private) for w in waves)
    return Stage(
        "compute", len(lane_adc), durations, waves=waves, free_s=free, lane_adc=lane_adc
    )


def mvm_counts(lm: LayerMapping, traffic: dict[int, Traffic], costs: PerfCosts) -> dict:
    """Action counts of one MVM (one output pixel); traffic averaged over the replicas.

    Replicas are copies of one tiling, so the crossbar work of replica 0 is every replica's.
    """
    spec, cycles = lm.spec, costs.input_cycles
    in_bits, out_bits = costs.input_bits, costs.output_bits
    blocks = [b for b in lm.blocks if b.replica == 0]
    if len(blocks) * lm.replicas != len(lm.blocks):
        raise ValueError(f"{spec.name}: replicas of unequal size ({len(lm.blocks)} blocks)")
    columns = [physical_columns(lm, b) for b in blocks]
    cols = sum(columns)
    rows = sum(b.weight_rows for b in blocks)
    cells = sum(b.weight_rows * c for b, c in zip(blocks, columns, strict=True))
    input_vector_bits = spec.groups * spec.matrix_rows * in_bits
    output_vector_bits = spec.out_channels * out_bits
    return {
        "crossbar/read": cycles * cells,
        "ima.dac/row_drive": cycles * rows,
        "ima.sample_hold/sample": cycles * cols,
        "ima.adc/conversion": cycles * cols,
        "ima.shift_add/op": cycles * cols,  # one shift-and-add per conversion
        "ima.output_register/bit": cycles * cols * out_bits,
        "ima.input_register/bit": 2 * rows * in_bits,  # written from the bus, read by DACs
        # partial sums of a column range held in several row blocks are merged in the tile
        "tile.shift_add/op": sum(b.weight_cols for b in blocks) - spec.out_channels,
        "tile.edram/bit": input_vector_bits + output_vector_bits,  # read inputs, write outputs
        "tile.bus/bit": input_vector_bits,  # broadcast to the layer's IMAs
        "tile.output_register/bit": output_vector_bits,
        "tile.router/bit": sum(t.router_bits for t in traffic.values()) / len(traffic),
        "chip.hypertransport/bit": sum(t.chip_bits for t in traffic.values()) / len(traffic),
    }
