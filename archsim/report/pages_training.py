"""Training curves: per-epoch loss and validation accuracy, fault-free and on fixed faulty
validation chips (the per-epoch fluctuation the linear-bottleneck paper reports)."""

from __future__ import annotations

from matplotlib.figure import Figure

from archsim.explore.results import SweepData
from archsim.report.style import chunks, footnote, missing_page, page
from archsim.report.variants import unique, variant

TITLE = "Training curves"


def training_pages(data: SweepData) -> list[Figure]:
    rows = [r for r in data.trainings if r.curves.epoch]
    if not rows:
        return [missing_page(TITLE, "No training job with per-epoch curves is in the store.")]
    figs = []
    for group in chunks(unique((r.point.model, r.point.width) for r in rows), 2):
        fig = page(
            TITLE,
            "Solid: validation accuracy without faults; dashed: mean over the fixed "
            "faulty validation chips at the rate in the legend; right: training "
            "loss.",
        )
        for i, (model, width) in enumerate(group):
            acc = fig.add_axes((0.06, 0.575 - i * 0.375, 0.55, 0.28))
            loss = fig.add_axes((0.7, 0.575 - i * 0.375, 0.27, 0.28))
            for r in (r for r in rows if (r.point.model, r.point.width) == (model, width)):
                c = r.curves
                name = variant(r.point, with_recal=False)
                if c.val_fault_rate is not None and c.val_fault_acc:
                    name += f" (chips at {c.val_fault_rate:g})"
                line = acc.plot(c.epoch, c.val_acc, label=name, lw=1.2)
                colour = line[0].get_color()
                if c.val_fault_acc:
                    acc.plot(c.epoch, c.val_fault_acc, ls="--", lw=1, color=colour)
                if c.train_loss:
                    loss.plot(c.epoch, c.train_loss, color=colour, lw=1)
            acc.set_title(f"{model} x{width:g}", fontsize=9)
            acc.set_xlabel("epoch")
            acc.set_ylabel("validation accuracy (%)")
            acc.set_ylim(0, 100)
            acc.grid(alpha=0.3)
            acc.legend(fontsize=6, ncol=2)
            loss.set_xlabel("epoch")
            loss.set_ylabel("training loss (cross-entropy)")
            loss.grid(alpha=0.3)
        footnote(
            fig,
            "The dashed faulty-chip curves use the BatchNorm statistics of training, "
            "gathered without faults, so they sit far below what a deployed chip scores: "
            "the evaluations of the other pages recalibrate BatchNorm for each fault rate "
            "where the sweep asks for it (training.recalibrate), which is why the same "
            "models score much higher there.",
        )
        figs.append(fig)
    return figs
