"""Energy, area and per-layer rows from the plans plus the timing an engine measured.

Dynamic energy = sum over actions of count x energy per action (the CPU's per-MAC energy is
its power x the time of one MAC); leakage = leakage power of the chips in use x the time per
image (total time of the batch / images). Both engines share this; they differ in timing.
"""

from collections import defaultdict
from dataclasses import dataclass

from archsim.mapping.records import Mapping
from archsim.perf.costs import PerfCosts, component_of
from archsim.perf.result import LEAKAGE_ROW, LayerCost, PerfResult
from archsim.perf.stages import LayerPlan


@dataclass(frozen=True)
class Timing:
    latency_s: float
    interval_s: float
    total_latency_s: float
    events: int = 0


def layer_energy_j(plan: LayerPlan, costs: PerfCosts) -> dict[str, float]:
    """Dynamic energy per image of one layer, by component."""
    by_component: dict[str, float] = defaultdict(float)
    for action, count in plan.action_counts.items():
        by_component[component_of(action)] += count * costs.energy_j(action)
    return dict(by_component)


def shared_resource_busy_s(plans: tuple[LayerPlan, ...]) -> dict[str, float]:
    busy: dict[str, float] = defaultdict(float)
    for plan in plans:
        for stage in plan.stages:
            if stage.resource:
                busy[stage.resource] += sum(stage.durations_s)
    return dict(busy)


def bottleneck_of(plans: tuple[LayerPlan, ...]) -> tuple[str, float]:
    """(name, per-image busy seconds) of the stage that limits streaming throughput."""
    best = ("(none)", 0.0)
    for plan in plans:
        for stage in plan.stages:
            if not stage.resource and stage.busy_s() > best[1]:
                best = (f"{plan.name} ({stage.name})", stage.busy_s())
    for resource, busy in shared_resource_busy_s(plans).items():
        if busy > best[1]:
            best = (f"{resource} (shared by CPU layers)", busy)
    return best


def assemble(
    mapping: Mapping,
    plans: tuple[LayerPlan, ...],
    costs: PerfCosts,
    timing: Timing,
    estimator: str,
    images: int,
    notes: tuple[str, ...] = (),
) -> PerfResult:
    chips = sorted({chip for plan in plans for chip in plan.chips})
    time_per_image = timing.total_latency_s / images
    by_component: dict[str, float] = defaultdict(float)
    by_layer: dict[str, float] = {}
    layer_parts = [layer_energy_j(plan, costs) for plan in plans]
    busy = [plan.busy_s() for plan in plans]
    busy_sum = sum(busy) or 1.0
    rows = []
    for plan, parts, layer_busy in zip(plans, layer_parts, busy, strict=True):
        for component, joules in parts.items():
            by_component[component] += joules
        by_layer[plan.name] = sum(parts.values())
        rows.append(LayerCost(plan.name, plan.target, layer_busy, layer_busy / busy_sum,
                              by_layer[plan.name], parts))
    leakage = 0.0
    for component, watts in costs.chip_leakage_power_w.items():
        joules = watts * len(chips) * time_per_image
        by_component[component] += joules
        leakage += joules
    by_layer[LEAKAGE_ROW] = leakage
    total = sum(by_layer.values())
    cpu_plans = [p for p in plans if p.target == "cpu"]
    cpu_energy = sum(sum(e.values()) for p, e in zip(plans, layer_parts, strict=True)
                     if p.target == "cpu")
    crossbar_seconds = sum(
        sum(p.group_pixels) * (p.crossbars / lm.replicas) * costs.mvm_time_s
        for p, lm in zip(plans, mapping.layers, strict=True) if p.target == "rram"
    )
    crossbars = sum(p.crossbars for p in plans)
    return PerfResult(
        model=mapping.model, width=mapping.width, hardware=costs.hardware,
        estimator=estimator, images=images,
        latency_s=timing.latency_s, interval_s=timing.interval_s,
        total_latency_s=timing.total_latency_s,
        energy_per_image_j=total,
        energy_by_component_j=dict(by_component), energy_by_layer_j=by_layer,
        leakage_energy_j=leakage,
        area_mm2=len(chips) * costs.chip_area_mm2, chips_used=len(chips),
        crossbar_busy_fraction=(
            crossbar_seconds / (crossbars * timing.interval_s) if crossbars else 0.0
        ),
        bottleneck=bottleneck_of(plans)[0],
        rram_time_s=sum(b for p, b in zip(plans, busy, strict=True) if p.target == "rram"),
        cpu_time_s=sum(sum(sum(s.durations_s) for s in p.stages) for p in cpu_plans),
        rram_energy_j=total - cpu_energy, cpu_energy_j=cpu_energy,
        events=timing.events, layers=tuple(rows), notes=notes + costs.notes,
    )
