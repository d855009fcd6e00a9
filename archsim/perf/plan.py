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
import weakref
from collections import defaultdict
from dataclasses import replace
from typing import Any

from archsim.errors import UserError
from archsim.mapping.records import CrossbarBlock, LayerMapping, Mapping
from archsim.perf.costs import PerfCosts
from archsim.perf.grouping import DEFAULT_MAX_GROUPS, group_rows, producer_group_needed
from archsim.perf.plan_network import Traffic, replica_traffic, transfer_stage
from archsim.perf.plan_other import cpu_stages, digital_stage, link_stage
from archsim.perf.plan_rram import (
    adc_classes,
    compute_stage,
    ima_conversions,
    lane_count,
    mvm_counts,
)
from archsim.perf.stages import LayerPlan

PASS_THROUGH_KINDS = ("flatten",)  # reshapes: no data moves, no cost
FOLDS_BN = ("conv", "linear")  # layer kinds a following BatchNorm folds into
INPUT_PLAN, OUTPUT_PLAN = "(image in)", "(result out)"


def folded_bn(mapping: Mapping, index: int, costs: PerfCosts) -> bool:
    """Whether layer `index` is a BatchNorm folded into the weight layer just before it."""
    lm = mapping.layers[index]
    return (costs.batchnorm_folded and lm.spec.kind == "bn" and index > 0
            and mapping.layers[index - 1].spec.kind in FOLDS_BN)  # fmt: skip


def host_plans(
    mapping: Mapping, plans: list[LayerPlan], costs: PerfCosts
) -> tuple[LayerPlan, ...]:
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
        action_counts={"cpu.link/bit": in_bits},
    )  # fmt: skip
    shifted = [
        replace(p, producer=p.producer + 1, need=tuple(0 if n < 0 else n for n in p.need))
        if p.producer < 0 else replace(p, producer=p.producer + 1)
        for p in plans
    ]
    result_out = LayerPlan(
        name=OUTPUT_PLAN, target="host", kind="io", group_rows_end=(1,), group_pixels=(1,),
        producer=len(plans), need=(plans[-1].groups - 1,),
        stages=(link_stage("link_out", (out_bits,), "cpu_link_out", costs),),
        action_counts={"cpu.link/bit": out_bits},
    )  # fmt: skip
    return (image_in, *shifted, result_out)


def _check_mappable(lm: LayerMapping, allow_unsupported: bool) -> None:
    if lm.target == "unsupported" and not allow_unsupported:
        raise UserError(f"layer {lm.spec.name} is unsupported ({lm.reason}); it has no cost")
    if lm.target == "rram" and not lm.blocks:
        raise UserError(f"layer {lm.spec.name} is on RRAM but has no crossbar blocks")


def _shared_imas(
    mapping: Mapping, lanes: dict[str, int], adcs: int
) -> set[tuple[int, int, int]]:
    """IMAs whose ADCs several layers or lanes may want at once: more than one user and more
    busy crossbars than ADCs (with an ADC per crossbar nobody ever waits)."""
    if adcs >= mapping.crossbars_per_ima:
        return set()  # no IMA can hold more busy crossbars than it has ADCs
    users: dict[tuple[int, int, int], set[tuple[str, int]]] = defaultdict(set)
    crossbars: dict[tuple[int, int, int], set[int]] = defaultdict(set)
    for lm in mapping.rram_layers:
        for b in lm.blocks:
            ima = (b.chip, b.tile, b.ima)
            users[ima].add((lm.spec.name, b.replica % lanes[lm.spec.name]))
            crossbars[ima].add(b.crossbar)
    return {ima for ima, who in users.items() if len(who) > 1 and len(crossbars[ima]) > adcs}


def _lane_traffic(
    lm: LayerMapping, lanes: int, consumer_chips: frozenset[int], out_bits: int
) -> tuple[dict[int, Traffic], list[list[Traffic]]]:
    by_replica: dict[int, list[CrossbarBlock]] = defaultdict(list)
    for block in lm.blocks:
        by_replica[block.replica].append(block)
    traffic = {r: replica_traffic(b, consumer_chips, out_bits) for r, b in by_replica.items()}
    per_lane: list[list[Traffic]] = [[] for _ in range(lanes)]
    for replica, t in traffic.items():
        per_lane[replica % lanes].append(t)
    return traffic, per_lane


def _consumer_chips(mapping: Mapping, index: int) -> frozenset[int]:
    """Chips of the next RRAM layer in the chain (where this layer's outputs must go)."""
    for lm in mapping.layers[index + 1 :]:
        if lm.target == "rram":
            return frozenset(b.chip for b in lm.blocks)
    return frozenset()


_PLANS: dict[tuple[int, int, int], tuple[weakref.ref, PerfCosts, tuple[LayerPlan, ...]]] = {}


def cached_plans(
    mapping: Mapping, costs: PerfCosts, max_groups: int = DEFAULT_MAX_GROUPS
) -> tuple[LayerPlan, ...]:
    """`build_plans`, remembered while `mapping` lives: the balancer and the estimator plan
    the same (possibly million-block) mapping, and planning is a pure function of it."""
    key = (id(mapping), id(costs), max_groups)
    hit = _PLANS.get(key)
    if hit is not None and hit[0]() is mapping and hit[1] is costs:
        return hit[2]
    plans = build_plans(mapping, costs, max_groups)
    _PLANS[key] = (weakref.ref(mapping, lambda _: _PLANS.pop(key, None)), costs, plans)
    return plans


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
        if index == 0:
            need = tuple(-1 for _ in ends)
        else:
            before = mapping.layers[index - 1].spec
            before_ends = grouped[before.name][0]
            need = tuple(producer_group_needed(spec, end, before, before_ends) for end in ends)
        common: dict[str, Any] = {
            "name": spec.name, "target": lm.target, "kind": spec.kind,
            "group_rows_end": ends, "group_pixels": pixels, "producer": index - 1,
            "need": need,
        }
        if lm.target == "rram":
            conversions = ima_conversions(lm, lanes[spec.name], costs.input_cycles)
            banks = adc_classes(spec.name, conversions, shared, costs)
            traffic, lane_traffic = _lane_traffic(
                lm, lanes[spec.name], _consumer_chips(mapping, index), costs.output_bits
            )
            per_mvm = mvm_counts(lm, traffic, costs)
            tiles = frozenset((b.chip, b.tile) for b in lm.blocks)
            host_tiles = len(tiles)
            plans.append(LayerPlan(
                **common,
                stages=(
                    compute_stage(lm, pixels, banks, costs),
                    transfer_stage(lane_traffic, pixels, lm.replicas, costs),
                ),
                action_counts={a: c * sum(pixels) for a, c in per_mvm.items()},
                crossbars=lm.crossbars, tiles=tiles,
                chips=frozenset(b.chip for b in lm.blocks),
            ))
        elif lm.target == "cpu":
            stages, counts = cpu_stages(spec, ends, pixels, costs)
            plans.append(LayerPlan(**common, stages=stages, action_counts=counts))
        elif (spec.kind in PASS_THROUGH_KINDS or folded_bn(mapping, index, costs)
              or lm.target == "unsupported"):  # left out: the mapping's notes say so
            plans.append(LayerPlan(**common, stages=(), action_counts={}))
        else:
            stage, counts = digital_stage(spec, pixels, host_tiles, costs)
            plans.append(LayerPlan(**common, stages=(stage,), action_counts=counts))
    return host_plans(mapping, plans, costs) if costs.host_io else tuple(plans)
