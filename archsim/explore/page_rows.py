"""The rows the report's pages show that are derived from a sweep's stored rows: Stability
Scores (stochastic-training paper), Table II beside the drop-connect paper's, the best drop
rate per fault rate with its paired gain, and the placements' paired accuracy differences.
Computed here, once per view of the sweep (`results.derive`), so the pages only draw them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from archsim.explore.records import AccuracyRow, CostRow, DesignPoint, Stats
from archsim.faults.metrics import stability_interval, stability_score
from archsim.faults.stats import paired_difference
from archsim.perf.paper import Table2Figures, table2_comparison


def preferred_recal(rows: Sequence[AccuracyRow]) -> bool:
    """Recalibrated results when the sweep has them (what a deployed chip would use)."""
    return any(r.point.recalibrate for r in rows)


def main_rows(rows: Sequence[AccuracyRow], policy: str) -> list[AccuracyRow]:
    """Rows under the sweep's main placement, with the preferred recalibration setting."""
    mine = [r for r in rows if r.point.policy == policy]
    recal = preferred_recal(mine)
    return [r for r in mine if r.point.recalibrate == recal]


def _model(r: AccuracyRow) -> tuple[str, float, str, float, str, bool]:
    """A trained model (net, width, method, rate, pruning, recalibration), any fault rate."""
    p = r.point
    return (p.model, p.width, p.method, p.train_rate, p.prune, p.recalibrate)


@dataclass(frozen=True, kw_only=True)
class StabilityCell:
    """One model's Stability Score at one nonzero fault rate."""

    fault_rate: float
    defect: float  # Acc_defect: mean accuracy over chips at the rate
    score: float
    interval: tuple[float, float] | None  # from the chips' 95% interval of Acc_defect


@dataclass(frozen=True, kw_only=True)
class StabilityRow:
    """SS = Acc_retrain / (Acc_pretrain - Acc_defect) of one model, per Pareto rate."""

    point: DesignPoint  # its fault-free row's
    pretrain: float  # fault-free accuracy of the standard model (pruned alike)
    retrain: float  # this model's fault-free accuracy
    cells: tuple[StabilityCell | None, ...]  # per nonzero Pareto rate; None: not evaluated


def _net(p: DesignPoint) -> tuple[str, float, str]:
    """The net a model trains (net, width, pruning), any training."""
    return (p.model, p.width, p.prune)


def _interval(retrain: Stats, pretrain: Stats, defect: Stats) -> tuple[float, float] | None:
    """The Stability Score's interval from the chips' 95% interval of Acc_defect."""
    if defect.ci_low is None or defect.ci_high is None:
        return None
    return stability_interval(retrain.mean, pretrain.mean, defect.ci_low, defect.ci_high)


def stability_rows(
    accuracy: Sequence[AccuracyRow], policy: str, pareto_rates: Sequence[float]
) -> list[StabilityRow] | None:
    """Every model evaluated fault-free under the main placement, scored at each nonzero
    Pareto rate; None when the sweep has no fault-free or no nonzero rate to score."""
    rows = main_rows(accuracy, policy)
    rates = [r for r in pareto_rates if r > 0]
    clean = [r for r in rows if r.fault_rate == 0]
    if not rows or not rates or not clean:
        return None
    out = []
    for r0 in clean:
        base = next(
            (r for r in clean if r.point.method == "standard" and _net(r.point) == _net(r0.point)),
            None,
        )
        if base is None:
            continue
        cells: list[StabilityCell | None] = []
        for rate in rates:
            at = next((r for r in rows if r.fault_rate == rate and _model(r) == _model(r0)), None)
            cells.append(
                None
                if at is None
                else StabilityCell(
                    fault_rate=rate,
                    defect=at.stats.mean,
                    score=stability_score(r0.stats.mean, base.stats.mean, at.stats.mean),
                    interval=_interval(r0.stats, base.stats, at.stats),
                )
            )
        out.append(
            StabilityRow(
                point=r0.point,
                pretrain=base.stats.mean,
                retrain=r0.stats.mean,
                cells=tuple(cells),
            )
        )
    return out


@dataclass(frozen=True, kw_only=True)
class Table2Row:
    """One net and width costed in the paper's Table II setting, beside the paper's row
    (the paper's figures are None where its table has no such row)."""

    model: str
    net: str
    width: float
    latency_s: float  # for the setting's images
    energy_j: float
    paper_latency_s: float | None
    paper_energy_j: float | None
    latency_vs_paper: float | None
    energy_vs_paper: float | None
    latency_vs_x1: float | None  # our latency over the same net's at width 1.0
    paper_latency_vs_x1: float | None


def table2_rows(costs: Sequence[CostRow], policy: str) -> list[Table2Row]:
    """The paper-setting cost rows of the main placement, each beside the paper's
    (`perf.paper.table2_comparison`, as `archsim map --estimator paper` prints them)."""
    rows = [c for c in costs if c.paper_setting and c.policy == policy]
    out = []
    for c in rows:
        base = next((b for b in rows if b.model == c.model and b.width == 1.0), None)
        compared = table2_comparison(_figures(c), None if base is None else _figures(base))
        out.append(
            Table2Row(
                model=c.model,
                net=c.net,
                width=c.width,
                latency_s=compared.ours.latency_s,
                energy_j=compared.ours.energy_j,
                paper_latency_s=compared.paper_latency_s,
                paper_energy_j=compared.paper_energy_j,
                latency_vs_paper=compared.latency_vs_paper,
                energy_vs_paper=compared.energy_vs_paper,
                latency_vs_x1=compared.latency_vs_base,
                paper_latency_vs_x1=compared.paper_latency_vs_base,
            )
        )
    return out


def _figures(c: CostRow) -> Table2Figures:
    return Table2Figures(net=c.net, width=c.width, images=c.images,
                         latency_s=c.time_for_images_s,
                         energy_j=c.energy_per_image_j * c.images)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class BestRateRow:
    """For one net, width and recalibration setting at one fault rate: the training drop
    rate with the highest mean accuracy (0: the standard model) and its paired gain over
    the standard model on the same chips."""

    model: str
    width: float
    recalibrate: bool
    fault_rate: float
    best_rate: float
    best_mean: float
    standard_mean: float | None
    gain: float | None
    gain_half_width: float | None


def dropconnect_rows(accuracy: Sequence[AccuracyRow], policy: str) -> list[AccuracyRow]:
    """Unpruned standard and drop-connect rows under the main placement."""
    return [
        r
        for r in accuracy
        if r.point.policy == policy
        and not r.point.prune
        and r.point.method in ("standard", "dropconnect")
    ]


def best_rate_rows(accuracy: Sequence[AccuracyRow], policy: str) -> list[BestRateRow]:
    rows = dropconnect_rows(accuracy, policy)
    if not any(r.point.method == "dropconnect" for r in rows):
        return []
    out = []
    for key in dict.fromkeys((r.point.model, r.point.width, r.point.recalibrate) for r in rows):
        mine = [r for r in rows if (r.point.model, r.point.width, r.point.recalibrate) == key]
        for fault in sorted(dict.fromkeys(r.fault_rate for r in mine)):
            at = [r for r in mine if r.fault_rate == fault]
            top = max(at, key=lambda r: (r.stats.mean, -r.point.train_rate))
            std = next((r for r in at if r.point.train_rate == 0), None)
            gain = (
                None if std is None or std is top else paired_difference(top.per_chip, std.per_chip)
            )
            out.append(
                BestRateRow(
                    model=key[0],
                    width=key[1],
                    recalibrate=key[2],
                    fault_rate=fault,
                    best_rate=top.point.train_rate,
                    best_mean=top.stats.mean,
                    standard_mean=std.stats.mean if std else None,
                    gain=None if gain is None else gain.mean,
                    gain_half_width=None if gain is None else gain.half_width,
                )
            )
    return out


@dataclass(frozen=True, kw_only=True)
class PolicyCell:
    """One model at one Pareto rate under each placement, and the first two placements'
    paired difference (first minus second, per chip index) with its 95% half-width."""

    fault_rate: float
    means: tuple[float | None, ...]  # per placement; None: not evaluated
    difference: float | None
    half_width: float | None


@dataclass(frozen=True, kw_only=True)
class PolicyAccuracyRow:
    """One trained model under each placement, per Pareto rate."""

    point: DesignPoint  # the model's first row's (its placement and seed are the cells')
    cells: tuple[PolicyCell, ...]  # per Pareto rate


def policy_accuracy_rows(
    accuracy: Sequence[AccuracyRow], policies: Sequence[str], pareto_rates: Sequence[float]
) -> list[PolicyAccuracyRow]:
    """Every model evaluated at a Pareto rate, under each of `policies` (empty below two)."""
    if len(policies) < 2:
        return []
    rows = [r for r in accuracy if r.fault_rate in pareto_rates]
    out = []
    models: dict[tuple[Any, ...], DesignPoint] = {}
    for r in rows:
        models.setdefault(_model(r), r.point)
    for key, point in models.items():
        cells = []
        for rate in pareto_rates:
            hits = [
                next(
                    (
                        r
                        for r in rows
                        if r.fault_rate == rate and r.point.policy == p and _model(r) == key
                    ),
                    None,
                )
                for p in policies
            ]
            first, second = hits[0], hits[1]
            diff = (
                None
                if first is None or second is None
                else paired_difference(first.per_chip, second.per_chip)
            )
            cells.append(
                PolicyCell(
                    fault_rate=rate,
                    means=tuple(None if hit is None else hit.stats.mean for hit in hits),
                    difference=None if diff is None else diff.mean,
                    half_width=None if diff is None else diff.half_width,
                )
            )
        out.append(PolicyAccuracyRow(point=point, cells=tuple(cells)))
    return out
