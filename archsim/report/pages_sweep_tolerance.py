"""The sweep's tolerance page (the `tolerance` axis, rows from `explore.tolerance_rows`): per
Pareto fault rate, what each technique gains over `none` on the same chips (paired, 95%
half-width) against the throughput, energy and area it spends; rows on the sweep's Pareto
front are shaded. Drawn from stored rows only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

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

if TYPE_CHECKING:
    from archsim.explore.results import SweepData
    from archsim.explore.tolerance_rows import ToleranceRow

TITLE = "Fault tolerance in the sweep: accuracy gained against cost"
COLUMNS = (
    "#",
    "model",
    "width",
    "method",
    "train rate",
    "seed",
    "technique",
    "placement",
    "accuracy (%)",
    "gain (pts)",
    "±",
    "dThroughput",
    "dEnergy per image",
    "dArea",
    "crossbars",
    "Pareto front",
)


def _point(r: ToleranceRow) -> str:
    return f"{r.point.model} x{r.point.width:g} {r.point.method} {r.point.train_rate:g}"


def _constant(rows: list[ToleranceRow]) -> str:
    """What the cost columns that are one value on every row mean (for the footnote)."""
    out = []
    for name, text in (
        ("delta_throughput_ips", "no technique here changes the pipeline's pace"),
        ("delta_occupied_area_mm2", "no technique here occupies another tile"),
        ("delta_energy_per_image_j", "no technique here costs energy"),
    ):
        if all(getattr(r, name) in (0, 0.0, None) for r in rows):
            out.append(
                f"{name.removeprefix('delta_').split('_')[0]} change is 0 on every row: {text}"
            )
    if all(r.gain == 0 for r in rows if r.tolerance == "none"):
        out.append("none's gain is 0 by definition (the reference)")
    return "; ".join(out)


def sweep_tolerance_pages(data: SweepData) -> list[Figure]:
    """Per Pareto rate: the rows, then gain against extra energy."""
    if not data.spec.tolerance:
        return [
            missing_page(
                TITLE,
                "The spec has no tolerance axis (list techniques under "
                "`tolerance:`, e.g. [remap, spare-1, remap+spare-1, search]).",
            )
        ]
    if not data.tolerance:
        return [missing_page(TITLE, "No tolerance job is in the store yet.")]
    figs = []
    for rate in data.spec.pareto_rates:
        rows = [r for r in data.tolerance if r.fault_rate == rate]
        if not rows:
            continue
        head = (
            f"Fault rate {rate:g} ({data.spec.faults.model}), {data.spec.faults.chips} "
            f"chips of seed {data.spec.seed}, the same for every technique; gain = "
            "technique minus none on the same chips (mean ± 95% half-width); d = the "
            "technique's charged cost minus none's."
        )
        units = [
            si_column([getattr(r, name) for r in rows], unit)
            for name, unit in (
                ("delta_throughput_ips", "images/s"),
                ("delta_energy_per_image_j", "J"),
                ("delta_occupied_area_mm2", "mm²"),
            )
        ]
        columns = [
            *COLUMNS[:11],
            *(f"{c} ({u})" for c, (u, _) in zip(COLUMNS[11:14], units, strict=True)),
            *COLUMNS[14:],
        ]
        figs.extend(_table_pages(rows, head, columns, units))
        figs.append(_gain_chart(rows, head))
    return figs


def _table_pages(
    rows: list[ToleranceRow],
    head: str,
    columns: list[str],
    units: list[tuple[str, list[str]]],
) -> list[Figure]:
    """The rows of one fault rate as numbered table pages (26 rows a page), each with the
    footnote on costs, placements and BatchNorm statistics."""
    figs = []
    numbered = list(enumerate(rows))
    for part in chunks(numbered, 26):
        fig = page(TITLE, head)
        table(
            fig,
            (0.03, 0.1, 0.94, 0.76),
            columns,
            [
                (
                    i + 1,
                    r.point.model,
                    r.point.width,
                    r.point.method,
                    r.point.train_rate,
                    r.point.train_seed,
                    r.tolerance,
                    r.placement,
                    f"{r.stats.mean:.2f}",
                    "-" if r.gain is None else f"{r.gain:+.2f}",
                    "-" if r.gain_half_width is None else f"{r.gain_half_width:.2f}",
                    *(cells[i] for _, cells in units),
                    r.crossbars,
                    r.on_front,
                )
                for i, r in part
            ],
            font=6.5,
            highlight=[r.on_front for _, r in part],
        )
        constant = _constant(rows)
        footnote(
            fig,
            "Costs: the sweep's cost of the point plus the technique's extra "
            "cost from balanced analytic design points in the same chip budget "
            "(spares: more crossbars and conversions; remap: its tables). search: "
            "the placement search's choice within the energy of the sweep's "
            "placement. Techniques run the checkpoint the evaluation rows run; BatchNorm "
            f"statistics (one rule, as evaluate): {_bn_sets([r for _, r in part])}."
            + (f" {constant[0].upper()}{constant[1:]}." if constant else ""),
        )
        figs.append(fig)
    return figs


def _bn_sets(rows: Sequence[ToleranceRow]) -> str:
    """The BatchNorm statistics the rows were scored with, each named once."""
    return ", ".join(dict.fromkeys(r.bn_set or "not recorded" for r in rows))


def _gain_chart(rows: list[ToleranceRow], head: str) -> Figure:
    """Each technique's paired gain against its extra energy; `none` is the origin of every
    point (gain 0 at no extra cost by definition), so it is labelled once."""
    fig = page("Accuracy gained against energy spent, per technique", head)
    ax = fig.add_axes((0.08, 0.14, 0.86, 0.68))
    shown = [
        (i + 1, r)
        for i, r in enumerate(rows)
        if r.gain is not None and r.delta_energy_per_image_j is not None and r.tolerance != "none"
    ]
    for _, r in shown:
        color = FRONT if r.on_front else MUTED
        ax.errorbar(
            r.delta_energy_per_image_j or 0.0,
            r.gain or 0.0,
            yerr=r.gain_half_width or 0.0,
            fmt="o",
            capsize=2,
            color=color,
        )
    ax.errorbar([0.0], [0.0], fmt="s", color="black", label="none (every point)")
    energies = [0.0, *(r.delta_energy_per_image_j or 0.0 for _, r in shown)]
    ax.margins(x=0.1, y=0.15)
    ax.axhline(0.0, color="#999999", linewidth=0.8)
    si_axis(ax, "x", energies, "extra energy per image", "J", bars=True)
    ax.set_ylabel("accuracy gained over none, same chips (points)")
    ax.grid(alpha=0.3)
    place_labels(
        ax,
        [r.delta_energy_per_image_j or 0.0 for _, r in shown],
        [r.gain or 0.0 for _, r in shown],
        [str(n) for n, _ in shown],
    )
    handles = [
        Line2D([], [], marker="o", linestyle="", color=FRONT, label="on the sweep's Pareto front"),
        Line2D([], [], marker="o", linestyle="", color=MUTED, label="not on the front"),
        Line2D([], [], marker="s", linestyle="", color="black", label="none (every point)"),
    ]
    ax.legend(handles=handles, fontsize=7, loc="upper right")
    footnote(
        fig,
        "Numbers: the rows of the table before. "
        + "; ".join(f"{n} {r.tolerance} ({_point(r)})" for n, r in shown[:40]),
    )
    return fig
