"""The answer page's rows: for each Pareto fault rate of a sweep, the design point a designer
would pick under each objective (most accurate, highest throughput, least energy per image,
least occupied area) and under one stated constraint (the most accurate point whose energy
per image is within `ENERGY_SLACK` times the cheapest point's), with its accuracy over chips
(mean, 95% interval, the accuracy 95% of chips reach, the yield at the spec's threshold) and
its cost; and the sentence that says it. Every pick is a point of the Pareto front, so its
numbers are a row of pareto.csv. Computed once with the sweep's rows (`results.derive`); the
page and the CLI only print them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from archsim.explore.codec import flat
from archsim.explore.finding import Finding, not_in_sweep_line
from archsim.explore.naming import model_width, variant
from archsim.explore.records import DesignPoint, ParetoRow
from archsim.explore.verdict import NOT_IN_SWEEP
from archsim.tables import si

ENERGY_SLACK = 1.5  # the constraint: energy per image at most this times the cheapest point's
CONSTRAINED = f"most accurate within {ENERGY_SLACK:g}x the least energy"

# objective -> the value a point is ranked by (higher first); ties go to the next objective
OBJECTIVES: tuple[tuple[str, Callable[[ParetoRow], float]], ...] = (
    ("most accurate", lambda r: r.accuracy),
    ("highest throughput", lambda r: r.throughput_ips),
    ("least energy per image", lambda r: -r.energy_per_image_j),
    ("least occupied area", lambda r: -r.occupied_area_mm2),
)


@dataclass(frozen=True, kw_only=True)
class AnswerRow:
    """One pick at one fault rate: the point (the pareto.csv row's key and objectives) and
    its spread over chips."""

    fault_rate: float
    objective: str
    name: str  # model, width, training, placement (technique, hardware) in words
    point: DesignPoint = flat()  # pareto.csv's `hardware` is its `hardware`
    tolerance: str
    metric: str
    accuracy: float
    ci_low: float | None
    ci_high: float | None
    p5: float | None  # the accuracy 95% of the chips reach
    yield_fraction: float | None  # chips at or above the spec's threshold; None without one
    chips: int
    throughput_ips: float
    energy_per_image_j: float
    occupied_area_mm2: float


@dataclass(frozen=True, kw_only=True)
class Answer:
    """The answer page: per Pareto rate its picks and its sentence; the findings tested."""

    rows: tuple[AnswerRow, ...]
    sentences: tuple[str, ...]  # one per Pareto rate, in the rows' rate order
    threshold: float | None
    tested: tuple[Finding, ...]
    untested: str  # one line for the findings this sweep did not test ("" when none)


def point_name(r: ParetoRow, hardware: bool = False) -> str:
    """The point in words; with `hardware`, on which hardware (a sweep with variants)."""
    technique = f" + {r.tolerance}" if r.tolerance and r.tolerance != "none" else ""
    chip = f" on {r.point.hardware}" if hardware else ""
    return f"{model_width(r.point)} {variant(r.point)}, {r.point.policy}{technique}{chip}"


def _ranked(rows: Sequence[ParetoRow], first: int) -> ParetoRow:
    """The best of `rows` on objective `first`, ties broken by the others in order."""
    order = [OBJECTIVES[first], *(o for i, o in enumerate(OBJECTIVES) if i != first)]
    return max(rows, key=lambda r: tuple(key(r) for _, key in order))


def _row(r: ParetoRow, objective: str, threshold: float | None, hardware: bool) -> AnswerRow:
    chips = np.asarray(r.per_chip, dtype=np.float64)
    return AnswerRow(
        fault_rate=r.fault_rate,
        objective=objective,
        name=point_name(r, hardware),
        point=r.point,
        tolerance=r.tolerance,
        metric=r.metric,
        accuracy=r.accuracy,
        ci_low=r.ci_low,
        ci_high=r.ci_high,
        p5=float(np.percentile(chips, 5)) if chips.size else None,
        yield_fraction=None
        if threshold is None or not chips.size
        else float((chips >= threshold).mean()),
        chips=int(chips.size),
        throughput_ips=r.throughput_ips,
        energy_per_image_j=r.energy_per_image_j,
        occupied_area_mm2=r.occupied_area_mm2,
    )


def picks(
    front: Sequence[ParetoRow], threshold: float | None, hardware: bool = False
) -> list[AnswerRow]:
    """The picks at one fault rate from its front points (empty front: no picks); with
    `hardware`, each names its hardware (the sweep has variants)."""
    if not front:
        return []
    out = [
        _row(_ranked(front, i), name, threshold, hardware) for i, (name, _) in enumerate(OBJECTIVES)
    ]
    cheapest = min(r.energy_per_image_j for r in front)
    within = [r for r in front if r.energy_per_image_j <= ENERGY_SLACK * cheapest]
    out.append(_row(_ranked(within, 0), CONSTRAINED, threshold, hardware))
    return out


def _accuracy(r: AnswerRow) -> str:
    interval = (
        "" if r.ci_low is None or r.ci_high is None else f" [{r.ci_low:.1f}, {r.ci_high:.1f}]"
    )
    return f"{r.accuracy:.1f} %{interval}"


def sentence(rows: Sequence[AnswerRow]) -> str:
    """What a designer would say at one fault rate: the constrained pick, and what the most
    accurate and the cheapest points would change."""
    by = {r.objective: r for r in rows}
    pick, top, cheap = by[CONSTRAINED], by["most accurate"], by["least energy per image"]
    text = (
        f"At fault rate {pick.fault_rate:g}, build {pick.name}: {_accuracy(pick)} for "
        f"{si(pick.energy_per_image_j, 'J')} per image at "
        f"{si(pick.throughput_ips, 'images/s')}."
    )
    if top.name != pick.name:
        text += (
            f" The most accurate point, {top.name}, adds {top.accuracy - pick.accuracy:.1f}"
            f" points for {top.energy_per_image_j / pick.energy_per_image_j:.2g}x the energy."
        )
    else:
        text += " It is also the most accurate point."
    if cheap.name != pick.name:
        text += (
            f" The cheapest, {cheap.name}, saves "
            f"{1 - cheap.energy_per_image_j / pick.energy_per_image_j:.0%} of the energy "
            f"and loses {pick.accuracy - cheap.accuracy:.1f} points."
        )
    return text


def untested_line(findings: Sequence[Finding]) -> str:
    """One line naming the findings this sweep did not test and the sweeps that do."""
    return not_in_sweep_line(findings)


def answer(
    pareto: Sequence[ParetoRow],
    rates: Sequence[float],
    threshold: float | None,
    findings: Sequence[Finding],
) -> Answer:
    """The answer page of a sweep from its Pareto rows (`pareto_table.pareto_rows`)."""
    rows: list[AnswerRow] = []
    sentences = []
    variants = len({r.point.hardware for r in pareto}) > 1
    for rate in rates:
        front = [r for r in pareto if r.fault_rate == rate and r.on_front]
        mine = picks(front, threshold, variants)
        rows += mine
        if mine:
            sentences.append(sentence(mine))
    return Answer(
        rows=tuple(rows),
        sentences=tuple(sentences),
        threshold=threshold,
        tested=tuple(f for f in findings if f.verdict != NOT_IN_SWEEP),
        untested=untested_line(findings),
    )


def answer_lines(a: Answer) -> list[str]:
    """The answer page's text for a terminal: each rate's sentence, then the findings."""
    lines = list(a.sentences)
    lines += [f"{f.key} ({f.source}): {f.verdict_text()}" for f in a.tested]
    if a.untested:
        lines.append(a.untested)
    return lines
