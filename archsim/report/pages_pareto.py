"""The Pareto plot: every design point (and every point of a `tolerance` axis, its technique
named), the non-dominated ones highlighted and numbered, with the front's table as the key."""

from __future__ import annotations

from matplotlib.figure import Figure

from archsim.explore.records import ParetoRow
from archsim.explore.results import SweepData
from archsim.report.style import (
    FRONT,
    MUTED,
    chunks,
    footnote,
    missing_page,
    page,
    place_labels,
    si_axis,
    si_column,
    table,
)
from archsim.report.variants import model_width, unique, variant

TITLE = "Pareto front: accuracy vs throughput, energy per image, occupied area"
AXES = (
    ("throughput_ips", "throughput", "images/s"),
    ("energy_per_image_j", "energy per image", "J"),
    ("occupied_area_mm2", "occupied area", "mm²"),
)
FRONT_ROWS = 12


def _label(row: ParetoRow, hardware: bool) -> str:
    """The point's name; with `hardware`, the variant it runs on (a sweep over hardware)."""
    technique = f" tolerance {row.tolerance}" if row.tolerance else ""
    chip = f" on {row.point.hardware}" if hardware else ""
    p = row.point
    return f"{model_width(p)} {variant(p)} {p.policy}{technique}{chip}"


def _new_page(data: SweepData, rate: float, metric: str) -> Figure:
    return page(
        f"{TITLE} (fault rate {rate:g})",
        f"Accuracy = {metric} over {data.spec.faults.chips} chips at fault rate "
        f"{rate:g} and throughput (images/s while streaming) maximised; energy per "
        "image (dynamic + static + CPU + links) and occupied area (tiles used and "
        "their share of the chip links) minimised, all in one hardware budget. Red, "
        "numbered as in the table: non-dominated over all four objectives (values within "
        "1e-9 relative are ties); a point over its budget is kept off the front.",
    )


def _scatter_axis(
    fig: Figure, i: int, rows: list[ParetoRow], front: list[ParetoRow], metric: str
) -> str:
    """Draw the i-th axis of AXES; return its SI note, if any."""
    name, label, unit = AXES[i]
    ax = fig.add_axes((0.06 + i * 0.32, 0.47, 0.26, 0.34))
    rest = [r for r in rows if not r.on_front]
    ax.scatter(
        [getattr(r, name) for r in rest],
        [r.accuracy for r in rest],
        s=14,
        color=MUTED,
        label="dominated",
    )
    ax.scatter(
        [getattr(r, name) for r in front],
        [r.accuracy for r in front],
        s=28,
        color=FRONT,
        edgecolor="black",
        linewidth=0.5,
        zorder=3,
        label="Pareto front",
    )
    note = si_axis(ax, "x", [getattr(r, name) for r in rows], label, unit)
    ax.set_ylabel(f"accuracy, {metric} (%)")
    ax.grid(alpha=0.3)
    if i == 0:
        ax.legend(fontsize=7)
    place_labels(
        ax,
        [getattr(r, name) for r in front],
        [r.accuracy for r in front],
        [str(n + 1) for n in range(len(front))],
    )
    return note


def _front_table(fig: Figure, data: SweepData, front: list[ParetoRow], metric: str) -> None:
    columns = [si_column([getattr(r, name) for r in front], unit) for name, _, unit in AXES]
    body = [
        [
            n + 1,
            _label(r, len(data.hardware) > 1),
            f"{r.accuracy:.2f}",
            *(cells[n] for _, cells in columns),
            r.bn_set or "",
        ]
        for n, r in enumerate(front)
    ]
    table(
        fig,
        (0.06, 0.06, 0.88, 0.32),
        [
            "#",
            "design point (front)",
            f"accuracy {metric} (%)",
            *(f"{label} ({u})" for (_, label, _), (u, _) in zip(AXES, columns, strict=True)),
            "BatchNorm statistics",
        ],
        chunks(body, FRONT_ROWS)[0],
        font=7,
    )


def _front_footnote(fig: Figure, data: SweepData, rate: float, notes: list[str]) -> None:
    lines = []
    if notes:
        lines.append(
            "; ".join(notes).capitalize() + " in this budget, so that axis cannot "
            "rank the points: the front is decided by the others."
        )
    if any(r.identical and r.fault_rate == rate for r in data.precision):
        lines.append(
            "Some hardware variants score the reference hardware's accuracy on every chip "
            "(marked '=' on the precision page): the evaluation does not show what their "
            "change costs in accuracy, so a front point on one of them is only as cheap as "
            "it looks if that change is harmless (docs/hardware-variants.md)."
        )
    if lines:
        footnote(fig, " ".join(lines))


def _page(data: SweepData, rate: float, rows: list[ParetoRow]) -> Figure:
    metric = data.spec.pareto.metric
    front = sorted((r for r in rows if r.on_front), key=lambda r: -r.accuracy)[:FRONT_ROWS]
    fig = _new_page(data, rate, metric)
    notes = []
    for i in range(len(AXES)):
        note = _scatter_axis(fig, i, rows, front, metric)
        if note:
            notes.append(note)
    _front_table(fig, data, front, metric)
    _front_footnote(fig, data, rate, notes)
    return fig


def pareto_pages(data: SweepData) -> list[Figure]:
    if not data.pareto:
        return [
            missing_page(TITLE, "No design point has both an accuracy and a cost in the store yet.")
        ]
    return [
        _page(data, rate, [r for r in data.pareto if r.fault_rate == rate])
        for rate in unique(r.fault_rate for r in data.pareto)
    ]
