"""The Pareto table of a sweep: every design point (and every point of the `tolerance` axis)
at each Pareto fault rate with its objectives and whether it is on the front
(`explore.pareto` decides dominance)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from archsim.explore.pareto import OBJECTIVES, non_dominated, over_budget
from archsim.explore.records import AccuracyRow, ParetoRow
from archsim.explore.spec import SweepSpec
from archsim.explore.tolerance_axis import REFERENCE
from archsim.explore.tolerance_rows import ToleranceRow


def pareto_rows(
    spec: SweepSpec, accuracy: list[AccuracyRow], tolerance: list[ToleranceRow] | None = None
) -> tuple[list[ParetoRow], list[ToleranceRow]]:
    """Per Pareto fault rate: every design point (and every point of the `tolerance` axis,
    `tolerance` naming its technique) with its objectives and `on_front`; and the tolerance
    rows, each flagged `on_front` too, for the tolerance page. A `none` row that is its
    point's evaluation row (same checkpoint, chips, statistics and cost: `twins`) is listed
    once, as the evaluation row, and flagged as that row is."""
    out: list[ParetoRow] = []
    metric = spec.pareto.metric
    flags: dict[int, bool] = {}  # id of a row -> on the front
    twin = twins(accuracy, tolerance or [])
    candidates: list[AccuracyRow | ToleranceRow] = [
        *accuracy,
        *(r for r in tolerance or [] if id(r) not in twin),
    ]
    for rate in spec.pareto_rates:
        pairs: list[tuple[AccuracyRow | ToleranceRow, ParetoRow]] = []
        for r in candidates:
            point = _point(r, rate, metric)
            if point is not None:
                pairs.append((r, point))
        # points over their budget are kept off the front (and cannot push others off it)
        within = [(r, p) for r, p in pairs if not p.over_budget]
        marks = iter(
            non_dominated(
                [[getattr(p, name) for name, _ in OBJECTIVES] for _, p in within],
                [up for _, up in OBJECTIVES],
            )
        )
        front = [False if p.over_budget else next(marks) for _, p in pairs]
        for (source, point), on in zip(pairs, front, strict=True):
            out.append(replace(point, on_front=on))
            flags[id(source)] = on
    flagged = [
        replace(r, on_front=flags.get(twin.get(id(r), id(r)), False)) for r in tolerance or []
    ]
    return out, flagged


def twins(accuracy: list[AccuracyRow], tolerance: list[ToleranceRow]) -> dict[int, int]:
    """id of each `none` tolerance row -> id of the evaluation row it duplicates: the same
    point and rate with the same per-chip accuracies, statistics and costs."""

    def key(r: AccuracyRow | ToleranceRow) -> tuple[Any, ...]:
        costs = (r.throughput_ips, r.energy_per_image_j, r.occupied_area_mm2)
        return (r.point, r.fault_rate, r.per_chip, r.bn_set, *costs)

    evaluated = {key(r): id(r) for r in accuracy}
    return {
        id(r): evaluated[key(r)]
        for r in tolerance
        if r.tolerance == REFERENCE and key(r) in evaluated
    }


def _point(r: AccuracyRow | ToleranceRow, rate: float, metric: str) -> ParetoRow | None:
    """`r` as a design point of the front at fault rate `rate`; None where it is at another
    rate or lacks the accuracy or a cost."""
    accuracy_value = getattr(r.stats, metric)
    throughput, energy, area = r.throughput_ips, r.energy_per_image_j, r.occupied_area_mm2
    if r.fault_rate != rate or accuracy_value is None or throughput is None:
        return None
    if energy is None or area is None:
        return None
    return ParetoRow(
        fault_rate=rate,
        point=r.point,
        tolerance=r.tolerance if isinstance(r, ToleranceRow) else "",
        metric=metric,
        accuracy=accuracy_value,
        throughput_ips=throughput,
        energy_per_image_j=energy,
        occupied_area_mm2=area,
        bn_set=r.bn_set,
        over_budget=over_budget(area, r.provisioned_area_mm2),
        ci_low=r.stats.ci_low,
        ci_high=r.stats.ci_high,
        per_chip=r.per_chip,
    )
