"""Energy, area and per-layer rows from the plans plus the timing an engine measured.

Dynamic energy = sum over actions of count x energy per action. Static energy per image =
static power of the powered hardware x the streaming interval (a new image starts every
interval, so that is each image's share of the time the hardware is on): the powered tiles
(the tiles holding layers, or every tile of a powered chip when the hardware does not gate
unused tiles), the powered chip links (every link of a powered chip, or, when the hardware
gates unused links, only the host link on a one-chip design point: a design on several chips
keeps all its chips' links up, since which links its traffic takes is not modelled), and the
CPU's idle power when the design point runs layers on it (the share of the cores the CPU path
uses, `cpu.charged_share`; the same share of the die is added to the provisioned and occupied
area). Both engines share this; they differ in timing.
"""

import math
from collections import defaultdict
from dataclasses import dataclass

from archsim.mapping.records import Mapping
from archsim.perf.costs import PerfCosts, component_of
from archsim.perf.result import (
    CPU_IDLE_ROW,
    LINK_COMPONENTS,
    STATIC_ROW,
    LayerCost,
    PerfResult,
)
from archsim.perf.stages import LayerPlan


@dataclass(frozen=True)
class Timing:
    latency_s: float
    interval_s: float
    total_latency_s: float
    events: int = 0


@dataclass(frozen=True)
class Footprint:
    """What a design point occupies and powers.

    Chip-level parts (the chip links) count in links; a budget of part of a chip (`budget
    tiles`) has that share of them, as a chip built with only those tiles would.
    """

    budget_chips: int
    chips_used: int
    tiles_used: int
    powered_links: float  # chip links drawing static power (a share for part chips)
    powered_tiles: int
    uses_cpu: bool
    budget_tiles: int = 0  # 0: whole chips


def powered_links(costs: PerfCosts, powered_chips: float, chips_used: int, host: bool) -> float:
    """Chip links drawing static power: all of the powered chips' unless the hardware gates
    unused links and the design point sits on one chip, which keeps only its host link up
    (`host`: images, results or CPU layers cross it)."""
    links = powered_chips * costs.chip_links
    if not costs.unused_links_power_gated or chips_used > 1:
        return links
    return min(1.0, links) if host else 0.0


def footprint(mapping: Mapping, plans: tuple[LayerPlan, ...], costs: PerfCosts) -> Footprint:
    tiles = {tile for plan in plans for tile in plan.tiles}
    chips = {chip for plan in plans for chip in plan.chips}
    uses_cpu = any(plan.target == "cpu" for plan in plans)
    host = costs.host_io or uses_cpu
    if mapping.budget_tiles:
        budget_tiles = max(mapping.budget_tiles, len(tiles))
        powered_tiles = len(tiles) if costs.unused_tiles_power_gated else budget_tiles
        share = budget_tiles / costs.tiles_per_chip if chips else 0.0
        links = powered_links(costs, share, len(chips), host)
        return Footprint(math.ceil(budget_tiles / costs.tiles_per_chip), len(chips), len(tiles),
                         links, powered_tiles, uses_cpu, budget_tiles)  # fmt: skip
    budget = max(mapping.budget_chips, len(chips))
    powered_chips = len(chips) if costs.unused_chips_power_gated else budget
    powered_tiles = (
        len(tiles) if costs.unused_tiles_power_gated else powered_chips * costs.tiles_per_chip
    )
    links = powered_links(costs, powered_chips, len(chips), host)
    return Footprint(budget, len(chips), len(tiles), links, powered_tiles, uses_cpu)


def tiles_area_mm2(tiles: int, costs: PerfCosts) -> float:
    """`tiles` tiles and their share (tiles / tiles per chip) of a chip's own parts."""
    return tiles * costs.tile_area_mm2 + tiles / costs.tiles_per_chip * costs.chip_level_area_mm2


def provisioned_area_mm2(budget_chips: int, budget_tiles: int, costs: PerfCosts) -> float:
    """The budget's silicon: whole chips, or the budget's tiles and their share of a chip."""
    if budget_tiles:
        return tiles_area_mm2(budget_tiles, costs)
    return budget_chips * costs.chip_area_mm2


def layer_energy_j(plan: LayerPlan, costs: PerfCosts) -> dict[str, float]:
    """Dynamic energy per image of one layer, by component."""
    by_component: dict[str, float] = defaultdict(float)
    for action, count in plan.action_counts.items():
        by_component[component_of(action)] += count * costs.energy_j(action)
    return dict(by_component)


def static_energy_j(fp: Footprint, costs: PerfCosts, interval_s: float) -> dict[str, float]:
    """Static energy per image by component (the CPU's idle power under "cpu")."""
    energy: dict[str, float] = defaultdict(float)
    for component, watts in costs.tile_static_power_w.items():
        energy[component] += watts * fp.powered_tiles * interval_s
    for component, watts in costs.chip_static_power_w.items():  # a chip's links, all of them
        energy[component] += watts * fp.powered_links / costs.chip_links * interval_s
    if fp.uses_cpu:
        energy["cpu"] += costs.cpu_idle_power_w * interval_s
    return dict(energy)


def shared_resource_busy_s(plans: tuple[LayerPlan, ...]) -> dict[str, float]:
    busy: dict[str, float] = defaultdict(float)
    for plan in plans:
        for stage in plan.stages:
            if stage.resource:
                busy[stage.resource] += sum(stage.durations_s)
    return dict(busy)


def adc_bank_busy_s(plans: tuple[LayerPlan, ...]) -> dict[tuple[object, ...], float]:
    """Per IMA whose ADCs several lanes or layers share: its ADCs' conversion work per image
    over their number (each lane converts its share, 1 / lanes, of its stage's waves)."""
    busy: dict[tuple[object, ...], float] = defaultdict(float)
    for plan in plans:
        for stage in plan.stages:
            waves_per_lane = sum(stage.waves) / stage.lanes
            for lane in stage.lane_adc:
                for bank in lane:
                    if bank.shared:
                        busy[bank.key] += waves_per_lane * sum(bank.job_s_per_wave) / bank.adcs
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
            best = (f"{resource} (shared by CPU layers and the image I/O)", busy)
    for key, busy in adc_bank_busy_s(plans).items():
        if busy > best[1]:
            best = (f"the ADCs of IMA {key[1:]} (chip, tile, IMA), shared", busy)
    return best


def _crossbar_busy_fraction(
    mapping: Mapping, plans: tuple[LayerPlan, ...], costs: PerfCosts, interval_s: float
) -> float:
    replicas = {lm.spec.name: lm.replicas for lm in mapping.rram_layers}
    crossbar_seconds = sum(
        sum(p.group_pixels) * (p.crossbars / replicas[p.name]) * costs.mvm_time_s
        for p in plans
        if p.target == "rram"
    )
    crossbars = sum(p.crossbars for p in plans)
    return crossbar_seconds / (crossbars * interval_s) if crossbars and interval_s > 0 else 0.0


def _layer_rows(plans: tuple[LayerPlan, ...], costs: PerfCosts) -> tuple[LayerCost, ...]:
    """Each layer's row: its busy time, its share of the latency and its dynamic energy."""
    busy = [plan.busy_s() for plan in plans]
    busy_sum = sum(busy) or 1.0
    rows = []
    for plan, layer_busy in zip(plans, busy, strict=True):
        parts = layer_energy_j(plan, costs)
        rows.append(
            LayerCost(
                plan.name,
                plan.target,
                layer_busy,
                layer_busy / busy_sum,
                math.fsum(parts.values()),
                parts,
            )
        )
    return tuple(rows)


def assemble(
    mapping: Mapping,
    plans: tuple[LayerPlan, ...],
    costs: PerfCosts,
    timing: Timing,
    estimator: str,
    images: int,
    notes: tuple[str, ...] = (),
) -> PerfResult:
    fp = footprint(mapping, plans, costs)
    cpu_area = costs.cpu_area_mm2 if fp.uses_cpu else 0.0  # the CPU path's share of the host
    rows = _layer_rows(plans, costs)
    by_component: dict[str, float] = defaultdict(float)
    for row in rows:
        for component, joules in row.energy_by_component_j.items():
            by_component[component] += joules
    by_layer = {row.name: row.energy_j for row in rows}
    dynamic_by_component = dict(by_component)
    static = static_energy_j(fp, costs, timing.interval_s)
    for component, joules in static.items():
        by_component[component] += joules
    by_layer[STATIC_ROW] = math.fsum(j for c, j in static.items() if c != "cpu")
    by_layer[CPU_IDLE_ROW] = static.get("cpu", 0.0)
    cpu = dynamic_by_component.get("cpu", 0.0) + static.get("cpu", 0.0)
    links = math.fsum(dynamic_by_component.get(c, 0.0) for c in LINK_COMPONENTS)
    dynamic = math.fsum(
        j for c, j in dynamic_by_component.items() if c != "cpu" and c not in LINK_COMPONENTS
    )
    return PerfResult(
        model=mapping.model, width=mapping.width, hardware=costs.hardware,
        estimator=estimator, images=images,
        latency_s=timing.latency_s, interval_s=timing.interval_s,
        total_latency_s=timing.total_latency_s,
        energy_per_image_j=math.fsum(by_layer.values()),
        energy_by_component_j=dict(by_component), energy_by_layer_j=by_layer,
        dynamic_energy_j=dynamic, static_energy_j=by_layer[STATIC_ROW], cpu_energy_j=cpu,
        link_energy_j=links,
        budget_chips=fp.budget_chips, chips_used=fp.chips_used, tiles_used=fp.tiles_used,
        provisioned_area_mm2=provisioned_area_mm2(fp.budget_chips, fp.budget_tiles, costs)
        + cpu_area,
        budget_tiles=fp.budget_tiles,
        occupied_area_mm2=tiles_area_mm2(fp.tiles_used, costs) + cpu_area,
        crossbar_busy_fraction=_crossbar_busy_fraction(mapping, plans, costs,
                                                       timing.interval_s),
        bottleneck=bottleneck_of(plans)[0],
        rram_time_s=sum(row.busy_s for row in rows if row.target == "rram"),
        cpu_time_s=sum(sum(sum(s.durations_s) for s in p.stages)
                       for p in plans if p.target == "cpu"),
        events=timing.events, layers=rows, notes=notes + costs.notes,
        static_by_component_j=static,
    )  # fmt: skip
