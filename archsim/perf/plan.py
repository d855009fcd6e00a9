"""Turn a `Mapping` into the `LayerPlan`s both engines schedule.

Layers are scheduled as a chain in execution order: each layer reads the rows of the layer
just before it. For a plain network that is the data flow. A shortcut branch (ResNet's 1x1
projection) really reads the block's input, which was ready earlier; in the chain it waits
for its predecessor's progress at the same fraction of rows, and the residual add waits for
the branch. This can only delay a single image (conservative latency); the steady-state
throughput, set by each layer's busy time, is unaffected.

BatchNorm right after a convolution or linear layer is folded into it by default (inference BN
is a per-channel affine map: w' = w x gamma / sigma, b' = (b - mu) x gamma / sigma + beta), so
it has no stage and no cost; the folded bias rides on the partial-sum merge that the tile's
shift-and-add does anyway. A hardware description with `operation.batchnorm: units` keeps BN
on the tile's shift-and-add units (2 ops per element) for comparison, as does BN that follows
anything else.

A mapping made with `allow_unsupported` keeps its unsupported layers as stages-free plans:
they cost nothing because nothing is known about them, and the mapping's notes name them.

The image enters over the host link and the result leaves over it (`host_plans`): one plan
before the first layer and one after the last, sharing the link with CPU-routed layers.
"""

import math
from dataclasses import dataclass, replace

import numpy as np

from archsim.config.hwschema import HardwareConfig
from archsim.errors import UserError
from archsim.hw.cpu import LINK_TRANSFER
from archsim.mapping.records import LayerMapping, Mapping
from archsim.perf.costs import PerfCosts
from archsim.perf.grouping import DEFAULT_MAX_GROUPS, group_rows, producer_group_needed
from archsim.perf.hw_costs import HardwareLike, as_costs
from archsim.perf.plan_network import layer_traffic, transfer_stage
from archsim.perf.plan_other import cpu_stages, digital_stage, link_stage
from archsim.perf.plan_rram import compute_stage, lane_adc_banks, lane_count, mvm_counts
from archsim.perf.stages import LayerPlan

PASS_THROUGH_KINDS = ("flatten",)  # reshapes: no data moves, no cost
FOLDS_BN = ("conv", "linear")  # layer kinds a following BatchNorm folds into
INPUT_PLAN, OUTPUT_PLAN = "(image in)", "(result out)"


def folded_bn(mapping: Mapping, index: int, costs: PerfCosts) -> bool:
    """Whether layer `index` is a BatchNorm folded into the weight layer just before it."""
    lm = mapping.layers[index]
    return (costs.batchnorm_folded and lm.spec.kind == "bn" and index > 0
            and mapping.layers[index - 1].spec.kind in FOLDS_BN)  # fmt: skip


def host_plans(mapping: Mapping, plans: list[LayerPlan], costs: PerfCosts) -> tuple[LayerPlan, ...]:
    """`plans` between the image's transfer in and the result's transfer out (host link).

    The input arrives whole before the first layer starts (one group); the result leaves
    once the last layer is done. Producer indices shift by one for the input plan.
    """
    first, last = mapping.layers[0].spec, mapping.layers[-1].spec
    in_bits = float(math.prod(first.in_shape) * costs.input_bits)
    out_bits = float(math.prod(last.out_shape) * costs.output_bits)
    image_in = LayerPlan(
        name=INPUT_PLAN, target="host", kind="io", group_rows_end=(1,), group_pixels=(1,),
        producer=-1, need=(-1,),
        stages=(link_stage("link_in", (in_bits,), "cpu_link_in", costs),),
        action_counts={LINK_TRANSFER.key: in_bits},
    )  # fmt: skip
    shifted = [
        replace(p, producer=p.producer + 1, need=tuple(0 if n < 0 else n for n in p.need))
        if p.producer < 0
        else replace(p, producer=p.producer + 1)
        for p in plans
    ]
    result_out = LayerPlan(
        name=OUTPUT_PLAN, target="host", kind="io", group_rows_end=(1,), group_pixels=(1,),
        producer=len(plans), need=(plans[-1].groups - 1,),
        stages=(link_stage("link_out", (out_bits,), "cpu_link_out", costs),),
        action_counts={LINK_TRANSFER.key: out_bits},
    )  # fmt: skip
    return (image_in, *shifted, result_out)


def _check_mappable(lm: LayerMapping, allow_unsupported: bool) -> None:
    if lm.target == "unsupported" and not allow_unsupported:
        raise UserError(f"layer {lm.spec.name} is unsupported ({lm.reason}); it has no cost")
    if lm.target == "rram" and not lm.blocks:
        raise UserError(f"layer {lm.spec.name} is on RRAM but has no crossbar blocks")


def _shared_imas(mapping: Mapping, lanes: dict[str, int], adcs: int) -> frozenset[int]:
    """Node-wide indices of IMAs whose ADCs several layers or lanes may want at once: more
    than one user and more busy crossbars than ADCs (with an ADC per crossbar nobody waits)."""
    if adcs >= mapping.crossbars_per_ima:
        return frozenset()  # no IMA can hold more busy crossbars than it has ADCs
    users, crossbars = [], []
    for index, lm in enumerate(mapping.rram_layers):
        assert lm.layout is not None
        p = lm.layout.positions
        lane = p.replica % lanes[lm.spec.name]
        users.append(np.unique(np.stack([p.ima_global, np.full_like(lane, index), lane]), axis=1))
        crossbars.append(np.unique(np.stack([p.ima_global, p.crossbar]), axis=1))
    if not users:
        return frozenset()
    user_imas, user_count = np.unique(np.unique(np.hstack(users), axis=1)[0], return_counts=True)
    busy_imas, busy_count = np.unique(
        np.unique(np.hstack(crossbars), axis=1)[0], return_counts=True
    )
    contended = np.intersect1d(user_imas[user_count > 1], busy_imas[busy_count > adcs])
    return frozenset(contended.tolist())


def edram_groups(
    mapping: Mapping,
    index: int,
    grouped: dict[str, tuple[tuple[int, ...], tuple[int, ...]]],
    tiles: int,
    costs: PerfCosts,
) -> int:
    """Groups of its producer's output rows layer `index`'s tiles' eDRAM holds (ISAAC keeps a
    layer's input rows in the eDRAM of the tiles that compute it); 0: not bounded (no eDRAM
    size, the network's input, or a flat input)."""
    spec = mapping.layers[index].spec
    if costs.edram_bytes <= 0 or index == 0 or len(spec.in_shape) != 3:
        return 0
    ends = grouped[mapping.layers[index - 1].spec.name][0]
    rows = max(end - start for start, end in zip((0, *ends[:-1]), ends, strict=True))
    row_bits = spec.in_shape[0] * spec.in_shape[2] * costs.input_bits
    return max(1, int(tiles * costs.edram_bytes * 8 // (rows * row_bits)))


def _consumer_chips(mapping: Mapping, index: int) -> frozenset[int]:
    """Chips of the next RRAM layer in the chain (where this layer's outputs must go)."""
    for lm in mapping.layers[index + 1 :]:
        if lm.target == "rram":
            return lm.chips
    return frozenset()


def _needs(
    mapping: Mapping, index: int, grouped: dict[str, tuple[tuple[int, ...], tuple[int, ...]]]
) -> tuple[int, ...]:
    """Per group of layer `index`: the producer group that must be done first (-1: none)."""
    spec = mapping.layers[index].spec
    ends = grouped[spec.name][0]
    if index == 0:
        return tuple(-1 for _ in ends)
    before = mapping.layers[index - 1].spec
    before_ends = grouped[before.name][0]
    return tuple(producer_group_needed(spec, end, before, before_ends) for end in ends)


def build_plans(
    mapping: Mapping, costs: PerfCosts, max_groups: int = DEFAULT_MAX_GROUPS
) -> tuple[LayerPlan, ...]:
    if max_groups < 1:
        raise UserError(f"max_groups must be >= 1, got {max_groups}")
    for lm in mapping.layers:
        _check_mappable(lm, mapping.allow_unsupported)
    grouped = {lm.spec.name: group_rows(lm.spec, max_groups) for lm in mapping.layers}
    lanes = {
        lm.spec.name: lane_count(lm.replicas, grouped[lm.spec.name][1])
        for lm in mapping.rram_layers
    }
    shared = _shared_imas(mapping, lanes, costs.adcs_per_ima)
    plans: list[LayerPlan] = []
    host_tiles = 1
    for index, lm in enumerate(mapping.layers):
        spec = lm.spec
        ends, pixels = grouped[spec.name]
        # what every target has; each target below replaces its stages and counts
        base = LayerPlan(name=spec.name, target=lm.target, kind=spec.kind,
                         group_rows_end=ends, group_pixels=pixels, producer=index - 1,
                         need=_needs(mapping, index, grouped), stages=(),
                         action_counts={})  # fmt: skip
        if lm.target == "rram":
            banks = lane_adc_banks(lm, lanes[spec.name], shared, costs)
            traffic = layer_traffic(
                lm, lanes[spec.name], _consumer_chips(mapping, index), costs.output_bits
            )
            per_mvm = mvm_counts(lm, traffic, costs)
            tiles = lm.tiles
            host_tiles = len(tiles)
            plans.append(
                replace(
                    base,
                    stages=(
                        compute_stage(lm, pixels, banks, costs),
                        transfer_stage(traffic, pixels, lm.replicas, costs),
                    ),
                    action_counts={a: c * sum(pixels) for a, c in per_mvm.items()},
                    crossbars=lm.crossbars,
                    buffer_groups=edram_groups(mapping, index, grouped, len(tiles), costs),
                    tiles=tiles,
                    chips=lm.chips,
                )
            )
        elif lm.target == "cpu":
            stages, counts = cpu_stages(spec, ends, pixels, costs)
            plans.append(replace(base, stages=stages, action_counts=counts))
        elif (
            spec.kind in PASS_THROUGH_KINDS
            or folded_bn(mapping, index, costs)
            or lm.target == "unsupported"
        ):  # left out: the mapping's notes say so
            plans.append(base)
        else:
            stage, counts = digital_stage(spec, pixels, host_tiles, costs)
            plans.append(replace(base, stages=(stage,), action_counts=counts))
    return host_plans(mapping, plans, costs) if costs.host_io else tuple(plans)


@dataclass(frozen=True, kw_only=True)
class PlannedMapping:
    """A mapping with the plans its layers run as on one cost table: what every estimator
    reads. Built once per design point (by the balancer, or `plan_mapping`) and handed on."""

    mapping: Mapping
    costs: PerfCosts
    plans: tuple[LayerPlan, ...]
    # the description `costs` was built from (None: a cost table built by hand); an
    # estimator that reads the description itself (the paper's calibration) needs it
    hardware: HardwareConfig | None = None


def plan_mapping(mapping: Mapping, hw: HardwareLike) -> PlannedMapping:
    """`mapping` planned on `hw` (a HardwareConfig, a hardware name or a cost table)."""
    if isinstance(hw, str):
        from archsim.config.hardware import load_hardware

        hw = load_hardware(hw)
    costs = as_costs(hw)
    hardware = hw if isinstance(hw, HardwareConfig) else None
    return PlannedMapping(mapping=mapping, costs=costs, plans=build_plans(mapping, costs),
                          hardware=hardware)  # fmt: skip
