"""The three papers' findings, each tested on a sweep's stored results (the findings page).

One `Finding` per claim, always: a claim whose models, rates or placements the sweep did not
run says "not in this sweep" and what it would need, rather than vanishing. Every effect is
paired (`verdict.paired_effect`): the two accuracies come from evaluations on the same chips
(chip i of the sweep's chip seed) and the same test images, per training seed. Where the two
models have different crossbar layouts (another width, net or placement), chip i is the same
seed but not the same cells, so only the images and the chip stream are shared; the note says so.

Settings picked from a grid: the first model listed (at the smallest width), the top fault
rate, the best drop rate at that rate (the highest mean over chips and seeds), recalibration
on for drop-connect models and off for the standard baseline where both were run (the
drop-connect paper's setting).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from archsim.explore.finding import Finding
from archsim.explore.findings_data import Context, SweepRows
from archsim.explore.findings_dropconnect import (
    dc_collapse,
    dc_pointwise_on_rram,
    dc_rate_above_fault,
    dc_recalibration,
    dc_shortcuts,
    dc_small_loss,
    dc_widening,
    stem_share,
)
from archsim.explore.findings_training import (
    lb_fluctuation,
    lb_tolerance,
    sft_collapse,
    sft_progressive,
    sft_pruned,
    sft_stability,
    sft_stuck_on,
)

__all__ = [
    "BUILDERS",
    "Finding",
    "FindingRow",
    "SweepRows",
    "WithFindings",
    "finding_rows",
    "findings",
]


BUILDERS: tuple[Callable[[Context], Finding], ...] = (
    dc_collapse,
    dc_small_loss,
    dc_rate_above_fault,
    dc_widening,
    dc_pointwise_on_rram,
    dc_shortcuts,
    dc_recalibration,
    sft_progressive,
    sft_collapse,
    sft_stuck_on,
    sft_pruned,
    sft_stability,
    lb_tolerance,
    lb_fluctuation,
    stem_share,
)


def findings(data: SweepRows) -> list[Finding]:
    """Every finding, tested on `data` (a `results.SweepData`)."""
    ctx = Context(data)
    return [build(ctx) for build in BUILDERS]


@dataclass(frozen=True, kw_only=True)
class FindingRow:
    """One finding as a flat row (a row of findings.csv)."""

    key: str
    source: str
    claim: str
    rule: str
    test: str
    first: float | None  # the two compared accuracies (pooled means)
    second: float | None
    effect: float | None  # paired: first minus second, accuracy points
    ci_low: float | None
    ci_high: float | None
    pairs: int | None
    seeds: int | None
    chip_sd: float | None
    seed_sd: float | None
    train_ci_low: float | None  # 95% interval over the trainings' mean effects (2+ seeds)
    train_ci_high: float | None
    chips_needed: int | None  # chips that would decide an undecided chip interval
    trainings_needed: int | None  # ... an undecided training one (1 training: at least)
    verdict: str
    note: str


class WithFindings(Protocol):
    """A sweep's data with its findings computed (`results.SweepData` after `derive`)."""

    @property
    def findings(self) -> Sequence[Finding]: ...


def finding_rows(data: WithFindings) -> list[FindingRow]:
    """The findings computed with `data` (`results.derive`) as flat rows (the CSV export)."""
    out = []
    for f in data.findings:
        e, p = f.effect, f.power
        train = e.training_interval if e else None
        out.append(
            FindingRow(
                key=f.key,
                source=f.source,
                claim=f.claim,
                rule=f.rule.text(),
                test=f.test,
                first=f.means[0] if f.means else None,
                second=f.means[1] if f.means else None,
                effect=e.mean if e else None,
                ci_low=e.low if e else None,
                ci_high=e.high if e else None,
                pairs=e.chips if e else None,
                seeds=len(e.seed_means) if e else None,
                chip_sd=e.chip_sd if e else None,
                seed_sd=e.seed_sd if e else None,
                train_ci_low=train[0] if train else None,
                train_ci_high=train[1] if train else None,
                chips_needed=p.chips_needed if p else None,
                trainings_needed=p.trainings_needed if p else None,
                verdict=f.verdict,
                note=f.note,
            )
        )
    return out
