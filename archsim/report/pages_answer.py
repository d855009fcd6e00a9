"""The answer page, first after the title: per Pareto fault rate the sentence a designer would
say, the point picked under each objective and under the stated energy constraint with its
accuracy over chips and its cost in SI units, then the findings the sweep tested. Every
number is `SweepData.answer`'s (`explore.answer`); the page only formats them."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from matplotlib.figure import Figure

from archsim.explore.answer import CONSTRAINED, ENERGY_SLACK, Answer, AnswerRow
from archsim.explore.results import SweepData
from archsim.report.style import chunks, missing_page, page, si_column, table

TITLE = "The answer: what to build at each fault rate"
RATES_PER_PAGE = 2
FINDING_LINES = 6
ROW = 0.04  # a table row's height, figure fraction


def _accuracy(r: AnswerRow) -> str:
    if r.ci_low is None or r.ci_high is None:
        return f"{r.accuracy:.1f}"
    return f"{r.accuracy:.1f} [{r.ci_low:.1f}, {r.ci_high:.1f}]"


def _table(fig: Figure, rows: Sequence[AnswerRow], top: float, threshold: float | None) -> None:
    tput_unit, tput = si_column([r.throughput_ips for r in rows], "images/s")
    energy_unit, energy = si_column([r.energy_per_image_j for r in rows], "J")
    area_unit, area = si_column([r.occupied_area_mm2 for r in rows], "mm²")
    yields = [
        []
        if threshold is None
        else ["-" if r.yield_fraction is None else f"{r.yield_fraction:.0%}"]
        for r in rows
    ]
    body = [
        [
            r.objective,
            r.name,
            _accuracy(r),
            "-" if r.p5 is None else f"{r.p5:.1f}",
            *y,
            t,
            e,
            a,
        ]
        for r, y, t, e, a in zip(rows, yields, tput, energy, area, strict=True)
    ]
    metric = rows[0].metric
    columns = [
        "pick",
        "design point",
        f"accuracy {metric} % [95% CI]",
        "95% of chips reach %",
        *([] if threshold is None else [f"yield (>= {threshold:g} %)"]),
        f"throughput ({tput_unit})",
        f"energy per image ({energy_unit})",
        f"occupied area ({area_unit})",
    ]
    height = ROW * (len(body) + 2)
    table(fig, (0.04, top - height, 0.92, height), columns, body, font=7.5)


def _findings(fig: Figure, a: Answer, top: float) -> None:
    fig.text(0.04, top, "Findings tested on this sweep", fontsize=10, fontweight="bold", va="top")
    lines = [
        f"{f.key}: {f.verdict_text()}"
        + (
            f", effect {f.effect.mean:+.1f} [{f.effect.low:+.1f}, {f.effect.high:+.1f}] points"
            if f.effect
            else ""
        )
        + f" - {f.claim}"
        for f in a.tested
    ]
    if len(lines) > FINDING_LINES:
        lines = [*lines[: FINDING_LINES - 1], f"... and {len(lines) - FINDING_LINES + 1} more"]
    if not lines:
        lines = ["none (see the line below)"]
    if a.untested:
        lines.append(a.untested)
    text = "\n".join(textwrap.shorten(line, 190, placeholder=" ...") for line in lines)
    fig.text(0.04, top - 0.03, text, fontsize=7.5, va="top", linespacing=1.35)


def answer_pages(data: SweepData) -> list[Figure]:
    a = data.answer
    if a is None or not a.rows:
        return [
            missing_page(
                TITLE, "No Pareto fault rate has a design point with an accuracy and a cost yet."
            )
        ]
    rates = list(dict.fromkeys(r.fault_rate for r in a.rows))
    figs = []
    for part in chunks(rates, RATES_PER_PAGE):
        fig = page(
            TITLE,
            "Each pick is a point of the Pareto front (a row of pareto.csv). The constrained "
            f"pick ({CONSTRAINED}) is the most accurate point whose energy per image is at most "
            f"{ENERGY_SLACK:g} times the cheapest point's. Accuracy: over "
            f"{a.rows[0].chips} simulated chips, with the 95% interval of the mean; '95% of "
            "chips reach': the 5th-percentile chip.",
        )
        top = 0.83
        for rate in part:
            rows = [r for r in a.rows if r.fault_rate == rate]
            said = a.sentences[rates.index(rate)]
            fig.text(0.04, top, textwrap.fill(said, 150), fontsize=9, fontweight="bold", va="top")
            top -= 0.07
            _table(fig, rows, top, a.threshold)
            top -= ROW * (len(rows) + 2) + 0.04
        _findings(fig, a, top)
        figs.append(fig)
    return figs
