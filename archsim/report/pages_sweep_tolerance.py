"""The sweep's tolerance page (the `tolerance` axis, rows from `explore.tolerance_rows`): per
Pareto fault rate, what each technique gains over `none` on the same chips (paired, 95%
half-width) against the throughput, energy and area it spends; rows on the sweep's Pareto
front are shaded. Drawn from stored rows only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from archsim.report.style import FRONT, MUTED, chunks, footnote, missing_page, page, table

if TYPE_CHECKING:
    from archsim.explore.results import SweepData
    from archsim.explore.tolerance_rows import ToleranceRow

TITLE = "Fault tolerance in the sweep: accuracy gained against cost"
COLUMNS = (
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
    "dThroughput (img/s)",
    "dEnergy (nJ/img)",
    "dArea (mm2)",
    "crossbars",
    "Pareto front",
)


def _point(r: ToleranceRow) -> str:
    return f"{r.model} x{r.width:g} {r.method} {r.train_rate:g}"


def _nano(value: float | None) -> float | None:
    return None if value is None else value * 1e9


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
        for part in chunks(rows, 26):
            fig = page(TITLE, head)
            table(
                fig,
                (0.03, 0.1, 0.94, 0.76),
                COLUMNS,
                [
                    (
                        r.model,
                        r.width,
                        r.method,
                        r.train_rate,
                        r.train_seed,
                        r.tolerance,
                        r.placement,
                        r.mean,
                        r.gain,
                        r.gain_half_width,
                        r.delta_throughput_ips,
                        _nano(r.delta_energy_per_image_j),
                        r.delta_occupied_area_mm2,
                        r.crossbars,
                        r.on_front,
                    )
                    for r in part
                ],
                font=6.5,
                highlight=[r.on_front for r in part],
            )
            footnote(
                fig,
                "Costs: the sweep's cost of the point plus the technique's extra "
                "cost from balanced analytic design points in the same chip budget "
                "(spares: more crossbars and conversions; remap: its tables). search: "
                "the placement search's choice within the energy of the sweep's "
                "placement. Techniques run the checkpoint the evaluation rows run; BatchNorm "
                f"statistics (one rule, as evaluate): {_bn_sets(part)}.",
            )
            figs.append(fig)
        figs.append(_gain_chart(rows, head))
    return figs


def _bn_sets(rows: Sequence[ToleranceRow]) -> str:
    """The BatchNorm statistics the rows were scored with, each named once."""
    return ", ".join(dict.fromkeys(r.bn_set or "not recorded" for r in rows))


def _gain_chart(rows: list[ToleranceRow], head: str) -> Figure:
    """Each technique's paired gain against its extra energy; `none` is the origin of every
    point (gain 0 at no extra cost by definition), so it is labelled once."""
    fig = page("Accuracy gained against energy spent, per technique", head)
    ax = fig.add_axes((0.08, 0.12, 0.86, 0.7))
    for r in rows:
        if r.gain is None or r.delta_energy_per_image_j is None:
            continue
        x = r.delta_energy_per_image_j * 1e9
        color = FRONT if r.on_front else MUTED
        ax.errorbar(x, r.gain, yerr=r.gain_half_width or 0.0, fmt="o", capsize=2, color=color)
        if r.tolerance != "none":
            label = f"{r.tolerance} ({_point(r)})"
            ax.annotate(label, (x, r.gain), fontsize=6, xytext=(4, 3), textcoords="offset points")
    ax.annotate("none (every point)", (0.0, 0.0), fontsize=6, xytext=(4, -9),
                textcoords="offset points")  # fmt: skip
    ax.margins(x=0.25, y=0.1)  # room for the labels of the right-most points
    ax.axhline(0.0, color="#999999", linewidth=0.8)
    ax.set_xlabel("extra energy per image (nJ)")
    ax.set_ylabel("accuracy gained over none, same chips (points)")
    ax.grid(alpha=0.3)
    handles = [
        Line2D([], [], marker="o", linestyle="", color=FRONT, label="on the sweep's Pareto front"),
        Line2D([], [], marker="o", linestyle="", color=MUTED, label="not on the front"),
    ]
    ax.legend(handles=handles, fontsize=7, loc="upper right")
    return fig
