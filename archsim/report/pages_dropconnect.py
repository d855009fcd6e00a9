"""Drop-connect pages: accuracy heatmaps (drop rate x fault rate) and the best drop rate per
fault rate (chosen, with its paired gain, in `explore.page_rows`). The standard model is drop
rate 0."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from archsim.explore.page_rows import dropconnect_rows
from archsim.explore.records import AccuracyRow
from archsim.explore.results import SweepData
from archsim.report.style import footnote, missing_page, page, table
from archsim.report.variants import unique

TITLE_HEAT = "Accuracy heatmaps: drop-connect rate x fault rate"
TITLE_BEST = "Best drop-connect rate per fault rate"


def _grid(rows: list[AccuracyRow]) -> tuple[list[float], list[float], np.ndarray]:
    drops = sorted(unique(r.point.train_rate for r in rows))
    faults = sorted(unique(r.fault_rate for r in rows))
    grid = np.full((len(drops), len(faults)), np.nan)
    for r in rows:
        grid[drops.index(r.point.train_rate), faults.index(r.fault_rate)] = r.stats.mean
    return drops, faults, grid


def heatmap_pages(data: SweepData) -> list[Figure]:
    rows = dropconnect_rows(data.accuracy, data.spec.cost.policy)
    if not data.spec.training.dropconnect_rates:
        return [
            missing_page(
                TITLE_HEAT,
                "The sweep trained no drop-connect models (training.dropconnect_rates is empty).",
            )
        ]
    if not any(r.point.method == "dropconnect" for r in rows):
        return [missing_page(TITLE_HEAT, "No drop-connect evaluation is in the store yet.")]
    figs = []
    for model in unique(r.point.model for r in rows):
        mine = [r for r in rows if r.point.model == model]
        panels = [
            (w, rc)
            for w in unique(r.point.width for r in mine)
            for rc in unique(r.point.recalibrate for r in mine)
        ]
        fig = page(
            f"{TITLE_HEAT}: {model}",
            f"Mean accuracy (%) over {data.spec.faults.chips} chips per cell, fault model "
            f"{data.spec.faults.model}, placement {data.spec.cost.policy}. Drop rate 0 is "
            "the standard model.",
        )
        cols = min(3, len(panels))
        nrows = (len(panels) + cols - 1) // cols
        for i, (width, recal) in enumerate(panels):
            ax = fig.add_subplot(nrows, cols, i + 1)
            drops, faults, grid = _grid(
                [r for r in mine if r.point.width == width and r.point.recalibrate == recal]
            )
            image = ax.imshow(grid, cmap="viridis", vmin=0, vmax=100, aspect="auto", origin="lower")
            for (y, x), value in np.ndenumerate(grid):
                if not np.isnan(value):
                    ax.text(
                        x,
                        y,
                        f"{value:.1f}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if value < 60 else "black",
                    )
            ax.set_xticks(range(len(faults)), [f"{f:g}" for f in faults], fontsize=7)
            ax.set_yticks(range(len(drops)), [f"{d:g}" for d in drops], fontsize=7)
            ax.set_xlabel("test fault rate (fraction of weights)")
            ax.set_ylabel("drop-connect rate (training)")
            ax.set_title(
                f"width x{width:g}, BN recalibration {'on' if recal else 'off'}", fontsize=9
            )
            fig.colorbar(image, ax=ax, label="accuracy (%)", shrink=0.8)
        fig.subplots_adjust(top=0.82, bottom=0.1, hspace=0.45, wspace=0.35)
        figs.append(fig)
    return figs


BEST_HEADER = [
    "net",
    "recal",
    "fault rate",
    "best drop",
    "acc (%)",
    "standard (%)",
    "gain (pts)",
    "± 95% (pts)",
]


def _best_rate_rows(data: SweepData) -> list[list[object]]:
    return [
        [
            f"{r.model} x{r.width:g}",
            "on" if r.recalibrate else "off",
            f"{r.fault_rate:g}",
            f"{r.best_rate:g}",
            r.best_mean,
            r.standard_mean,
            r.gain,
            r.gain_half_width,
        ]
        for r in data.best_rates
    ]


def _best_rate_plot(fig: Figure, data: SweepData) -> None:
    ax = fig.add_axes((0.07, 0.42, 0.38, 0.42))
    for key in unique((r.model, r.width, r.recalibrate) for r in data.best_rates):
        best = [r for r in data.best_rates if (r.model, r.width, r.recalibrate) == key]
        ax.step(
            [r.fault_rate for r in best],
            [r.best_rate for r in best],
            where="mid",
            marker="o",
            label=f"{key[0]} x{key[1]:g} recal {'on' if key[2] else 'off'}",
        )
    # a choice among the sweep's drop rates: steps between them, ticks only at them
    choices = sorted({0.0, *data.spec.training.dropconnect_rates})
    ax.set_yticks(choices, [f"{c:g}" for c in choices])
    ax.set_ylim(-0.05, max(choices) + 0.05)
    ax.set_xticks(sorted({r.fault_rate for r in data.best_rates}))
    ax.set_xlabel("test fault rate (fraction of weights)")
    ax.set_ylabel("best drop-connect rate (one of the sweep's)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)


def best_rate_pages(data: SweepData) -> list[Figure]:
    if not data.best_rates:
        return [missing_page(TITLE_BEST, "The sweep produced no drop-connect evaluations.")]
    fig = page(
        TITLE_BEST,
        "For each net, width and test fault rate: the training drop rate with "
        "the highest mean accuracy (drop rate 0 = standard training).",
    )
    _best_rate_plot(fig, data)
    table(fig, (0.5, 0.1, 0.48, 0.75), BEST_HEADER, _best_rate_rows(data)[:30], font=7)
    footnote(
        fig,
        "Accuracy is the mean over chips; gain = best minus the standard model at the "
        "same fault rate, paired: the mean over chips of the per-chip difference on "
        "the same chips (same seed and chip index) and test images, with its Student-t "
        "95% half-width, so the spread between chips cancels.",
    )
    return [fig]
