"""Turn a `Mapping` into the `LayerPlan`s both engines schedule.

Layers are scheduled as a chain in execution order: each layer reads the rows of the layer
just before it. For a plain network that is the data flow. A shortcut branch (ResNet's 1x1
projection) really reads the block's input, which was ready earlier; in the chain it waits
for its predecessor's progress at the same fraction of rows, and the residual add waits for
the branch. This can only delay a single image (conservative latency); the steady-state
throughput, set by each layer's busy time, is unaffected.
"""

from collections import defaultdict

from archsim.errors import UserError
from archsim.mapping.records import CrossbarBlock, LayerMapping, Mapping
from archsim.perf.costs import PerfCosts
from archsim.perf.grouping import DEFAULT_MAX_GROUPS, group_rows, producer_group_needed
from archsim.perf.plan_network import Traffic, replica_traffic, transfer_stage
from archsim.perf.plan_other import cpu_stages, digital_stage
from archsim.perf.plan_rram import (
    adc_classes,
    compute_stage,
    ima_conversions,
    lane_count,
    mvm_counts,
)
from archsim.perf.stages import LayerPlan

PASS_THROUGH_KINDS = ("flatten",)  # reshapes: no data moves, no cost


def _check_mappable(lm: LayerMapping) -> None:
    if lm.target == "unsupported":
        raise UserError(f"layer {lm.spec.name} is unsupported ({lm.reason}); it has no cost")
    if lm.target == "rram" and not lm.blocks:
        raise UserError(f"layer {lm.spec.name} is on RRAM but has no crossbar blocks")


def _shared_imas(
    mapping: Mapping, lanes: dict[str, int], adcs: int
) -> set[tuple[int, int, int]]:
    """IMAs whose ADCs several layers or lanes may want at once: more than one user and more
    busy crossbars than ADCs (with an ADC per crossbar nobody ever waits)."""
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


def build_plans(
    mapping: Mapping, costs: PerfCosts, max_groups: int = DEFAULT_MAX_GROUPS
) -> tuple[LayerPlan, ...]:
    if max_groups < 1:
        raise UserError(f"max_groups must be >= 1, got {max_groups}")
    for lm in mapping.layers:
        _check_mappable(lm)
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
        common = {
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
        elif spec.kind in PASS_THROUGH_KINDS:
            plans.append(LayerPlan(**common, stages=(), action_counts={}))
        else:
            stage, counts = digital_stage(spec, pixels, host_tiles, costs)
            plans.append(LayerPlan(**common, stages=(stage,), action_counts=counts))
    return tuple(plans)
