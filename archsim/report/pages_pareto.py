"""The Pareto plot: every design point (and every point of a `tolerance` axis, its technique
named), the non-dominated ones highlighted."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from archsim.explore.records import ParetoRow
from archsim.explore.results import SweepData
from archsim.report.style import FRONT, MUTED, chunks, footnote, missing_page, page, table
from archsim.report.variants import unique, variant

TITLE = "Pareto front: accuracy vs throughput, energy per image, occupied area"
AXES = (
    ("throughput_ips", "throughput (images/s)"),
    ("energy_per_image_j", "energy per image (J)"),
    ("occupied_area_mm2", "occupied area (mm2)"),
)


def _label(row: ParetoRow, hardware: bool) -> str:
    """The point's name; with `hardware`, the variant it runs on (a sweep over hardware)."""
    technique = f" tolerance {row.tolerance}" if row.tolerance else ""
    chip = f" on {row.hardware}" if hardware else ""
    return f"{row.model} x{row.width:g} {variant(row)} {row.policy}{technique}{chip}"


def pareto_pages(data: SweepData) -> list[Figure]:
    if not data.pareto:
        return [
            missing_page(TITLE, "No design point has both an accuracy and a cost in the store yet.")
        ]
    metric = data.spec.pareto.metric
    figs = []
    for rate in unique(r.fault_rate for r in data.pareto):
        rows = [r for r in data.pareto if r.fault_rate == rate]
        front = [r for r in rows if r.on_front]
        fig = page(
            f"{TITLE} (fault rate {rate:g})",
            f"Accuracy = {metric} over {data.spec.faults.chips} chips at fault rate "
            f"{rate:g} and throughput (images/s while streaming) maximised; energy per "
            "image (dynamic + static + CPU + links) and occupied area (tiles used and "
            "their share of the chip links) minimised, all in one hardware budget. Red: "
            "non-dominated over all four objectives (values within 1e-9 relative are ties); "
            "a point over its budget is kept off the front.",
        )
        for i, (name, label) in enumerate(AXES):
            ax = fig.add_axes((0.06 + i * 0.32, 0.5, 0.26, 0.36))
            ax.scatter(
                [getattr(r, name) for r in rows if not r.on_front],
                [r.accuracy for r in rows if not r.on_front],
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
            ax.set_xlabel(label)
            ax.ticklabel_format(axis="x", style="sci", scilimits=(-2, 3), useOffset=False)
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.set_ylabel(f"accuracy, {metric} (%)")
            ax.grid(alpha=0.3)
            if i == 0:
                ax.legend(fontsize=7)
        body = [
            [
                _label(r, len(data.hardware) > 1),
                r.accuracy,
                *(getattr(r, name) for name, _ in AXES),
                r.bn_set or "",
            ]
            for r in sorted(front, key=lambda r: -r.accuracy)
        ]
        table(
            fig,
            (0.06, 0.04, 0.88, 0.34),
            [
                "design point (front)",
                f"accuracy {metric} (%)",
                *(label for _, label in AXES),
                "BatchNorm statistics",
            ],
            chunks(body, 12)[0],
            font=7,
        )
        if any(r.identical and r.fault_rate == rate for r in data.precision):
            footnote(
                fig,
                "Some hardware variants score the reference hardware's accuracy on every chip "
                "(marked '=' on the precision page): the evaluation does not show what their "
                "change costs in accuracy, so a front point on one of them is only as cheap as "
                "it looks if that change is harmless (docs/hardware-variants.md).",
            )
        figs.append(fig)
    return figs
