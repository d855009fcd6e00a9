"""Page furniture shared by every report section: page size, titles, tables, notices."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: the report renders straight to PDF

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from archsim.tables import si_decimals, si_prefix, si_unit

PAGE = (11.69, 8.27)  # A4 landscape, inches
FRONT = "#d62728"
MUTED = "#9a9a9a"


def margin_wrap(text: str, chars: int) -> str:
    """`text` wrapped at `chars` characters a line, each of its own lines apart, so that it
    keeps the page's right margin (matplotlib's own wrapping runs to the paper's edge)."""
    return "\n".join(
        textwrap.fill(line, chars, break_on_hyphens=False) for line in text.split("\n")
    )


def page(title: str, subtitle: str = "") -> Figure:
    fig = plt.figure(figsize=PAGE)
    fig.suptitle(title, x=0.04, y=0.965, ha="left", fontsize=15, fontweight="bold")
    if subtitle:
        fig.text(0.04, 0.915, margin_wrap(subtitle, 160), ha="left", va="top", fontsize=9,
                 color="#444444")  # fmt: skip
    return fig


def missing_page(title: str, reason: str) -> Figure:
    """A section whose data the sweep did not produce says so on its own page."""
    fig = page(title)
    fig.text(0.5, 0.55, "Not produced by this sweep", ha="center", fontsize=18, color=MUTED)
    fig.text(0.5, 0.47, reason, ha="center", fontsize=11, wrap=True)
    return fig


def fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if value == float("inf"):
            return "inf"
        if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return f"{value:.{digits}g}"
        return f"{value:.{digits}g}" if abs(value) < 1 else f"{value:,.2f}"
    return str(value)


def column_cells(values: Sequence[Any]) -> list[str]:
    """A table column's cells in one number format: a column of floats gets one number of
    decimals (none from 10,000 up, 2 from 1, else 4, by its smallest nonzero value), or
    scientific notation for all of it when a value is below 0.001; anything else as `fmt`."""
    floats = [v for v in values if isinstance(v, float) and not isinstance(v, bool) and v == v]
    if not floats or len(floats) != sum(v is not None for v in values):
        return [fmt(v) for v in values]
    finite = [v for v in floats if abs(v) != float("inf")]
    if any(0 < abs(v) < 1e-3 for v in finite):
        return [fmt(v) if v is None else f"{v:.3e}" for v in values]
    smallest = min((abs(v) for v in finite if v), default=1.0)
    decimals = 0 if smallest >= 1e4 else 2 if smallest >= 1 else 4
    return [fmt(v) if v is None or abs(v) == float("inf") else f"{v:,.{decimals}f}" for v in values]


def _wrap_header(text: str, width: int = 14) -> str:
    """Break a long column title over lines at spaces so it fits its column."""
    words, lines, line = text.split(" "), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)


def table(
    fig: Figure,
    rect: Sequence[float],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    font: float = 8.0,
    highlight: Sequence[bool] | None = None,
) -> None:
    """Draw a table in `rect` (left, bottom, width, height, figure fraction); columns are as
    wide as their longest cell, long titles wrap."""
    ax = fig.add_axes((rect[0], rect[1], rect[2], rect[3]))
    ax.axis("off")
    if not rows:
        ax.text(0.5, 0.5, "(no rows)", ha="center", va="center", color=MUTED)
        return
    by_column = [column_cells([row[i] for row in rows]) for i in range(len(columns))]
    cells = [[by_column[i][r] for i in range(len(columns))] for r in range(len(rows))]
    headers = [_wrap_header(c) for c in columns]
    chars = [
        max([len(line) for line in h.split("\n")] + [len(r[i]) for r in cells]) + 2
        for i, h in enumerate(headers)
    ]
    widths = [c / sum(chars) for c in chars]
    tab = ax.table(
        cellText=cells,
        colLabels=headers,
        colWidths=widths,
        loc="upper center",
        cellLoc="right",
        colLoc="center",
    )
    tab.auto_set_font_size(False)
    tab.set_fontsize(font)
    header_lines = max(h.count("\n") + 1 for h in headers)
    row_height = min(0.06, 0.95 / (len(rows) + header_lines))
    for (r, _), cell in tab.get_celld().items():
        cell.set_height(row_height * (header_lines if r == 0 else 1))
        if r == 0:
            cell.set_facecolor("#e8e8e8")
            cell.set_text_props(fontweight="bold")
        elif highlight is not None and highlight[r - 1]:
            cell.set_facecolor("#fde0dc")


def footnote(fig: Figure, text: str) -> None:
    fig.text(0.04, 0.025, text, ha="left", va="bottom", fontsize=7.5, color="#555555", wrap=True)


def chunks(rows: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)] or [rows]


DECADES = 30.0  # a quantity whose largest value is this many times its smallest: log axis


def si_axis(
    ax: Axes, which: str, values: Sequence[float], name: str, unit: str, bars: bool = False
) -> str:
    """Label axis `which` ("x" or "y") of `ax` as `name (prefix unit)` with one SI prefix for
    its ticks (no offset exponent ever); points (not `bars`, which start at zero) go on a
    log scale where the values span decades, and a single value is widened around. Returns
    a note for the figure's caption: "" or why the axis cannot rank the points (every one
    has the same value)."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    scale, prefix = si_prefix(values)
    positive = [v for v in values if v > 0]
    same = bool(values) and max(values) - min(values) <= 1e-9 * max(abs(v) for v in values)
    note = f"every point has the same {name}" if same else ""
    if bars:
        axis.set_major_locator(MaxNLocator(4))
    elif positive and len(positive) == len(values) and max(positive) / min(positive) > DECADES:
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")
        axis.set_minor_formatter(NullFormatter())
    elif same:
        v = max(values)
        limits = (v * 0.9, v * 1.1) if v else (-1.0, 1.0)
        (ax.set_xlim if which == "x" else ax.set_ylim)(limits)
        axis.set_major_locator(MaxNLocator(3))
    else:
        axis.set_major_locator(MaxNLocator(4))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v / scale:.4g}"))
    (ax.set_xlabel if which == "x" else ax.set_ylabel)(f"{name} ({si_unit(prefix, unit)})")
    return note


OFFSETS = ((3, 3), (3, -9), (-10, 3), (-10, -9), (6, -3), (-14, -3))  # points from the marker


def place_labels(ax: Axes, xs: Sequence[float], ys: Sequence[float], labels: Sequence[str]) -> None:
    """Label the points (x, y) on `ax` (call after the axes' limits are set), short labels
    (numbers keyed to a table) beside their markers: each where it overlaps no label placed
    before it; points on one spot share one label ("3,4"); a label with no free place is left
    to the key."""
    spots: dict[tuple[float, float], list[str]] = {}
    for label, x, y in zip(labels, xs, ys, strict=True):
        spots.setdefault((x, y), []).append(label)
    renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    placed: list[Any] = []
    for (x, y), same in spots.items():
        text = ",".join(same) if len(same) <= 3 else f"{same[0]}-{same[-1]}"
        for dx, dy in OFFSETS:
            note = ax.annotate(
                text, (x, y), fontsize=6, xytext=(dx, dy), textcoords="offset points"
            )
            box = note.get_window_extent(renderer)
            if not any(box.overlaps(other) for other in placed):
                placed.append(box)
                break
            note.remove()


def si_column(values: Sequence[float | None], unit: str) -> tuple[str, list[str]]:
    """A table column in one SI prefix and one number format: its unit ("µJ", "k images/s")
    for the title, and its cells ("-" where a value is missing)."""
    present = [v for v in values if v is not None]
    scale, prefix = si_prefix(present)
    decimals = si_decimals(present, scale)
    cells = ["-" if v is None else f"{v / scale:,.{decimals}f}" for v in values]
    return si_unit(prefix, unit), cells
