"""The figure of a standalone evaluation (`archsim evaluate --plot`): per fault rate every
chip's accuracy, the mean with its 95% interval, and the yield threshold; fault rates are the
evaluation's discrete choices, so they sit at evenly spaced positions, labelled."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from matplotlib.figure import Figure

from archsim.atomic import atomic_write
from archsim.report.style import FRONT, MUTED, footnote, page

if TYPE_CHECKING:  # the engine's record, only read here: the report imports no engine
    from archsim.faults.montecarlo import AccuracyResult


def evaluation_figure(results: Sequence[AccuracyResult]) -> Figure:
    info = results[0].info
    fig = page(
        f"Accuracy over simulated chips: {info.model} x{info.width:g} on {info.dataset}",
        f"Fault model {results[0].fault_model} on {info.hardware} ({info.policy}); grey: "
        "each chip; red: the mean over chips with its 95% interval; dashed: the yield "
        "threshold.",
    )
    ax = fig.add_axes((0.08, 0.16, 0.86, 0.66))
    positions = list(range(len(results)))
    for x, r in zip(positions, results, strict=True):
        ax.scatter([x] * len(r.per_chip), r.per_chip, s=10, color=MUTED, alpha=0.6)
        s = r.summary
        bar = (
            None
            if s.ci_low is None or s.ci_high is None
            else [[s.mean - s.ci_low], [s.ci_high - s.mean]]
        )
        ax.errorbar([x], [s.mean], yerr=bar, fmt="o", color=FRONT, capsize=4, zorder=3)
    threshold = results[0].threshold
    if threshold is not None:
        ax.axhline(threshold, color="#555555", linestyle="--", linewidth=0.8)
    ax.set_xticks(positions, ["map" if r.rate is None else f"{r.rate:g}" for r in results])
    ax.set_xlim(-0.5, len(results) - 0.5)
    ax.set_xlabel("fault rate")
    ax.set_ylabel("accuracy (%)")
    ax.grid(alpha=0.3, axis="y")
    footnote(
        fig,
        "; ".join(
            f"rate {'map' if r.rate is None else f'{r.rate:g}'}: {r.chips} chips, "
            f"{r.chip_images:,} chip-images, BatchNorm {r.bn_set or 'training'}"
            for r in results
        ),
    )
    return fig


def render_evaluation(results: Sequence[AccuracyResult], path: Path) -> Path:
    """Write the figure to `path` (its suffix names the format), atomically."""
    import matplotlib.pyplot as plt

    fig = evaluation_figure(results)
    try:
        return atomic_write(path, lambda tmp: fig.savefig(tmp, format=path.suffix[1:]))
    finally:
        plt.close(fig)
