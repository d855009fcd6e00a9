"""Findings: one row per claim of the three papers, tested on this sweep's stored results
(`explore.findings`, computed once with the sweep's rows: `SweepData.findings`): the paper's
claim, what was compared, the paired effect with its 95% interval and spreads, and the
verdict. A claim the sweep did not run says so. The page only formats them."""

from __future__ import annotations

import textwrap

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from archsim.explore.finding import Finding
from archsim.explore.results import SweepData
from archsim.explore.verdict import (
    INCONCLUSIVE,
    NOT_IN_SWEEP,
    NOT_REPRODUCED,
    REPRODUCED,
    SUGGESTIVE,
    SUGGESTIVE_AGAINST,
)
from archsim.report.style import MUTED, chunks, footnote, page

TITLE = "Findings of the papers, tested on this sweep"
ROWS_PER_PAGE = 6
ROW_PITCH = 0.12  # of the page height: up to 10 lines of 7 pt
COLOURS = {
    REPRODUCED: "#2ca02c",
    NOT_REPRODUCED: "#d62728",
    INCONCLUSIVE: "#ff7f0e",
    SUGGESTIVE: "#98df8a",
    SUGGESTIVE_AGAINST: "#ff9896",
    NOT_IN_SWEEP: MUTED,
}
COLUMNS = (
    (0.03, "finding", 14),
    (0.11, "paper's claim", 50),
    (0.36, "compared (paired)", 52),
    (0.62, "measured: effect [95% CI], spreads", 50),
    (0.87, "verdict", 16),
)
FONT = 7.0
SUBTITLE = (
    "Effect: first minus second, points, on the same chips and test images, averaged over "
    "training seeds. Reproduced: the 95% intervals over chips and over trainings both lie on "
    "the claim's side; not reproduced: both on the other; else inconclusive at this budget. "
    "One training: at most suggestive. Resolution: the intervals' half-widths."
)


def _wrap(text: str, width: int) -> str:
    """Each line of `text` wrapped at `width` characters."""
    return "\n".join(w for part in text.split("\n") for w in textwrap.wrap(part, width) or [""])


def _result(f: Finding) -> str:
    e = f.effect
    if e is None:
        return f.note
    lines = [f"{f.means[0]:.1f} vs {f.means[1]:.1f} %"] if f.means else []
    lines.append(f"effect {e.mean:+.2f} [{e.low:+.2f}, {e.high:+.2f}] points, {e.chips} pairs")
    spread = f"chip sd {e.chip_sd:.2f}" if e.chip_sd is not None else ""
    if e.seed_sd is not None:
        spread += (
            f"; {len(e.seed_means)} trainings: sd {e.seed_sd:.2f} ("
            + ", ".join(f"{m:+.1f}" for m in e.seed_means)
            + ")"
        )
    else:
        spread += "; 1 training"
    power = f.power.text() if f.power is not None else ""
    return "\n".join([*lines, spread, power, f.note])


def _row(fig: Figure, f: Finding, top: float) -> None:
    cells = (
        f"{f.key}\n{f.source}",
        f.claim,
        f"{f.test}\nclaim: {f.rule.text()}",
        _result(f),
        f.verdict,
    )
    for i, ((x, _, width), text) in enumerate(zip(COLUMNS, cells, strict=True)):
        last = i == len(COLUMNS) - 1
        fig.text(
            x,
            top,
            _wrap(text, width),
            va="top",
            ha="left",
            fontsize=FONT,
            color=COLOURS.get(f.verdict, "black") if last else "black",
            fontweight="bold" if last or i == 0 else "normal",
            linespacing=1.1,
        )


def findings_pages(data: SweepData) -> list[Figure]:
    """The findings computed with `data` (`results.derive`) that the sweep tested,
    ROWS_PER_PAGE to a page; the rest in one line at the foot of the last page."""
    tested = [f for f in data.findings if f.verdict != NOT_IN_SWEEP]
    untested = data.answer.untested if data.answer is not None else ""
    figs = []
    for part in chunks(tested, ROWS_PER_PAGE):
        fig = page(TITLE, _wrap(SUBTITLE, 155))
        for x, title, _ in COLUMNS:
            fig.text(x, 0.835, title, fontsize=8, fontweight="bold", va="top")
        for i, f in enumerate(part):
            top = 0.805 - i * ROW_PITCH
            fig.add_artist(_line(fig, top + 0.008))
            _row(fig, f, top)
        footnote(fig, f"Sweep {data.spec.name}: {data.spec.description}")
        figs.append(fig)
    if untested:
        figs[-1].text(
            0.03, 0.805 - len(part) * ROW_PITCH, _wrap(untested, 190), fontsize=FONT, va="top"
        )
    return figs


def _line(fig: Figure, y: float) -> Line2D:
    return Line2D([0.03, 0.97], [y, y], transform=fig.transFigure, color="#dddddd", lw=0.6)
