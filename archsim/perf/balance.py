"""Balance a design point's layer pipeline inside its chip budget, as ISAAC does.

`budget_chips` chips are provisioned for the design point. Replication first fills them
(`mapping/replication.py`: every RRAM layer copied so it takes at most q MVMs per image, the
smallest q that fits). If a stage that replication cannot multiply (the CPU, a direction of
its link, the image's own transfer in or out) is then slower than the replicated layers, the
extra replicas buy nothing: they would sit idle waiting for that stage. So the balancer takes
replicas back, layer by layer, down to the fewest that keep each RRAM layer (and the digital
layers its tiles host) within that stage's time, and checks the result with the closed-form
interval; crossbars are never spent for nothing.

`default_budget_chips` is the fewest whole chips that hold the largest unreplicated design
point of a call or sweep, so every point shares one budget and one provisioned area.
"""

import math
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

from archsim.mapping.geometry import Geometry
from archsim.mapping.mapper import map_specs
from archsim.mapping.options import MapOptions
from archsim.mapping.records import LayerSpec, Mapping
from archsim.perf.analytic import streaming_interval_s
from archsim.perf.assemble import shared_resource_busy_s
from archsim.perf.costs import PerfCosts
from archsim.perf.plan import PlannedMapping, build_plans
from archsim.perf.stages import LayerPlan

if TYPE_CHECKING:
    from torch import nn

    from archsim.config.hwschema import HardwareConfig

TRIM_ROUNDS = 6  # re-checks after taking replicas back (each maps and plans once)
_REL = 1e-9


def default_budget_chips(unreplicated: Sequence[Mapping]) -> int:
    """The fewest whole chips holding the largest of these unreplicated mappings (>= 1)."""
    return max([1, *(m.chips_used for m in unreplicated)])


def _busy_by_rram_layer(plans: tuple[LayerPlan, ...]) -> dict[str, float]:
    """Per RRAM layer: the slowest of its own stages and those of the digital layers its
    tiles host (the layers after it up to the next RRAM layer)."""
    busy: dict[str, float] = {}
    host: str | None = None
    for plan in plans:
        if plan.target == "rram":
            host = plan.name
            busy[host] = plan.busy_s()
        elif plan.target == "digital" and host is not None:
            busy[host] = max(busy[host], plan.busy_s())
    return busy


def _floor_s(plans: tuple[LayerPlan, ...]) -> tuple[str, float]:
    """The busiest stage replication cannot multiply, and its per-image time."""
    busy = shared_resource_busy_s(plans)
    if not busy:
        return "", 0.0
    name = max(busy, key=lambda k: busy[k])
    return name, busy[name]


def balanced_mapping(
    specs: Sequence[LayerSpec],
    geometry: Geometry,
    costs: PerfCosts,
    budget_chips: int,
    options: MapOptions,
    *,
    input_shape: Sequence[int],
    model_name: str = "custom",
    width: float = 1.0,
) -> PlannedMapping:
    """The mapping of `specs` as `options` say, replicated in `budget_chips` chips with idle
    replicas removed, with the plans it was checked with (the other arguments are
    `map_specs`'s). Each candidate is mapped and planned once; the plans of the one kept are
    handed on, so the estimator schedules exactly what the balancer checked."""
    replicated = replace(options, replicate=True, replicate_scope=budget_chips)
    remap = partial(map_specs, specs, geometry, options=replicated, input_shape=input_shape,
                    model_name=model_name, width=width)  # fmt: skip
    full = remap()
    plans = build_plans(full, costs)
    kept = PlannedMapping(mapping=full, costs=costs, plans=plans)
    resource, floor = _floor_s(plans)
    if floor <= 0 or floor < streaming_interval_s(plans) * (1 - _REL):
        return kept  # the budget binds: every replica shortens the interval
    most = {lm.spec.name: lm.replicas for lm in full.rram_layers}
    busy = _busy_by_rram_layer(plans)
    counts = {n: max(1, min(r, math.ceil(r * busy[n] / floor * (1 - _REL))))
              for n, r in most.items()}  # fmt: skip
    for _ in range(TRIM_ROUNDS):
        if counts == most:
            return kept
        trimmed = remap(replicas=counts)
        trimmed_plans = build_plans(trimmed, costs)
        if streaming_interval_s(trimmed_plans) <= floor * (1 + 1e-6):
            used = sum(lm.crossbars for lm in trimmed.rram_layers)
            spent = sum(lm.crossbars for lm in full.rram_layers)
            note = (f"balanced in {budget_chips} chip(s): {resource} sets the interval, so "
                    f"the layers keep {used} of the {spent} crossbars full replication would "
                    "take (the rest would idle)")  # fmt: skip
            noted = replace(trimmed, notes=(*trimmed.notes, note))  # notes change no plan
            return PlannedMapping(mapping=noted, costs=costs, plans=trimmed_plans)
        slow = _busy_by_rram_layer(trimmed_plans)
        counts = {n: min(most[n], math.ceil(c * max(1.0, slow[n] / floor)) + (slow[n] > floor))
                  for n, c in counts.items()}  # fmt: skip
    return kept


def costed_mapping(
    specs: Sequence[LayerSpec],
    geometry: Geometry,
    costs: PerfCosts,
    budget_chips: int,
    options: MapOptions,
    *,
    input_shape: Sequence[int],
    model_name: str = "custom",
    width: float = 1.0,
) -> PlannedMapping:
    """The mapping a design point is costed on, planned: balanced in the budget (unless
    `options.replicate` is False), or one copy of every layer with the budget still
    provisioned. The budget replaces `options.replicate_scope`; the other arguments are
    `map_specs`'s."""
    if options.replicates(True):
        return balanced_mapping(
            specs, geometry, costs, budget_chips, options,
            input_shape=input_shape, model_name=model_name, width=width,
        )  # fmt: skip
    one_copy = map_specs(
        specs, geometry, options=replace(options, replicate_scope=budget_chips),
        input_shape=input_shape, model_name=model_name, width=width,
    )  # fmt: skip
    return PlannedMapping(mapping=one_copy, costs=costs, plans=build_plans(one_copy, costs))


def balanced_point(
    model: "nn.Module",
    one_copy: Mapping,
    hw: "HardwareConfig",
    budget_chips: int | None = None,
    budget_tiles: int | None = None,
) -> Mapping:
    """The design point `archsim map` costs for `model` (an nn.Module on hardware `hw`): its
    one-copy mapping's placement, balanced in the default budget (the fewest chips holding
    one copy; a sweep's evaluation jobs give the sweep's budget). `evaluate`, sweeps and
    defect maps fault every replica of it, so accuracy and cost describe one chip."""
    from archsim.mapping.geometry import resolve_geometry
    from archsim.mapping.graph import graph_layers
    from archsim.perf.hw_costs import costs_from_hardware

    options = MapOptions(policy=one_copy.policy, overrides=one_copy.overrides, replicate=True,
                         budget_tiles=budget_tiles)  # fmt: skip
    specs = graph_layers(model, one_copy.input_shape)
    return costed_mapping(specs, resolve_geometry(hw), costs_from_hardware(hw),
                        budget_chips or default_budget_chips([one_copy]), options,
                        input_shape=one_copy.input_shape, model_name=one_copy.model,
                        width=one_copy.width).mapping  # fmt: skip
