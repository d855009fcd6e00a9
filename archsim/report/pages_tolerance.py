"""Fault-tolerance pages, drawn from study records (`explore.ft_records`, as computed or read
back from `archsim vulnerability --out`, `archsim tolerance --out`): the per-layer
vulnerability ranking, and each technique's accuracy gained (paired, on the same chips)
against the throughput, energy and area it costs; rows on the study's Pareto front are
shaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure

from archsim import __version__
from archsim.atomic import atomic_write
from archsim.explore.ft_records import (
    Difference,
    Setting,
    StoredStudy,
    ToleranceRun,
    ToleranceStudy,
    VulnerabilityStudy,
)
from archsim.report.style import (
    FRONT,
    MUTED,
    chunks,
    footnote,
    page,
    place_labels,
    si_axis,
    si_column,
    table,
)


def _setting(s: Setting, each: str = "") -> str:
    """The study's setting (`each`: the images each chip is scored on, if not all)."""
    return (
        f"{s.model} on {s.dataset}, {s.hardware}, fault model {s.fault_model} at rate "
        f"{s.rate:g}, {s.chips} chips (seed {s.seed}) x {each or f'{s.images} test images'}, "
        "the same for every row"
    )


def _interval(low: float | None, high: float | None) -> str:
    return "-" if low is None or high is None else f"[{low:.2f}, {high:.2f}]"


def _scored(study: VulnerabilityStudy) -> str:
    """The chips, images and chip-images a vulnerability study scored (where it stopped)."""
    per_chip, images = study.images_per_chip, study.setting.images
    each = (
        ""
        if per_chip is None or per_chip >= images
        else f"{per_chip} of {images} test images per chip (two-stage)"
    )
    spent = "" if study.chip_images is None else f"; {study.chip_images:,} chip-images scored"
    return _setting(study.setting, each) + spent


def _vulnerability_head(study: VulnerabilityStudy) -> str:
    every = study.all_layers
    top = study.top_minus_next
    head = (
        f"{_scored(study)}. Fault-free (quantized) accuracy {study.clean_accuracy:.2f}%; "
        f"every layer faulty: loss {every.loss:.2f} points "
        f"[{every.ci_low:.2f}, {every.ci_high:.2f}]."
    )
    if top:
        head += (
            f" Paired: {top.first} loses {top.difference:+.2f} "
            f"± {top.half_width:.2f} points more than {top.second}."
        )
    return head


def _vulnerability_table(
    study: VulnerabilityStudy,
) -> tuple[tuple[str, ...], Sequence[tuple[object, ...]]]:
    energy_unit, energy = si_column([r.cpu_energy_delta_j for r in study.rows], "J")
    pace_unit, pace = si_column([r.cpu_throughput_delta_ips for r in study.rows], "images/s")
    columns = (
        "rank",
        "layer",
        "weights",
        "loss (pts)",
        "95% CI",
        "loss per 1k weights",
        f"CPU move dE ({energy_unit}/image)",
        f"CPU move dThroughput ({pace_unit})",
        "loss per µJ",
    )
    rows = [
        (
            r.rank,
            r.group,
            r.weights,
            f"{r.loss:.2f}",
            _interval(r.ci_low, r.ci_high),
            "-" if r.loss_per_kweight is None else f"{r.loss_per_kweight:.3f}",
            e,
            t,
            f"{r.loss_per_uj:.3g}",
        )
        for r, e, t in zip(study.rows, energy, pace, strict=True)
    ]
    return columns, rows


def _vulnerability_table_pages(study: VulnerabilityStudy, head: str) -> list[Figure]:
    columns, rows = _vulnerability_table(study)
    still = (
        " dThroughput is 0 for every layer: moving one layer to the CPU does not change "
        "the pipeline's pace in this budget."
        if all(r.cpu_throughput_delta_ips == 0 for r in study.rows)
        else ""
    )
    figs = []
    for part in chunks(rows, 24):
        fig = page("Per-layer vulnerability", head)
        table(fig, (0.04, 0.08, 0.92, 0.78), columns, part, font=7.5)
        footnote(
            fig,
            "Loss: fault-free accuracy minus accuracy with only this layer faulty "
            "(mean over chips, 95% Student-t interval). CPU move: change of the balanced "
            f"design point ({study.budget_chips} chip budget, analytic estimator) when "
            "this layer alone leaves the crossbars for the CPU (all-rram base). BatchNorm "
            f"statistics: {study.bn_set or 'not recorded'}." + still,
        )
        figs.append(fig)
    return figs


def _vulnerability_plot_page(study: VulnerabilityStudy, head: str) -> Figure:
    fig = page("Per-layer vulnerability: loss against size", head)
    ax = fig.add_axes((0.08, 0.12, 0.86, 0.7))
    for r in study.rows:
        ax.errorbar(
            r.weights,
            r.loss,
            yerr=[[r.loss - r.ci_low], [r.ci_high - r.loss]],
            fmt="o",
            color=FRONT if r.rank <= 3 else MUTED,
            capsize=2,
        )
    ax.set_xscale("log")
    ax.set_xlabel("weights in the layer")
    ax.set_ylabel("accuracy lost when only this layer is faulty (points)")
    ax.grid(alpha=0.3)
    place_labels(
        ax,
        [r.weights for r in study.rows],
        [r.loss for r in study.rows],
        [str(r.rank) for r in study.rows],
    )
    footnote(fig, "Numbers: the rank. " + "; ".join(f"{r.rank} {r.group}" for r in study.rows[:60]))
    return fig


def vulnerability_pages(study: VulnerabilityStudy) -> list[Figure]:
    """The ranking (loss when only that layer is faulty) and loss per weight / per CPU uJ."""
    head = _vulnerability_head(study)
    figs = _vulnerability_table_pages(study, head)
    figs.append(_vulnerability_plot_page(study, head))
    return figs


def _versus(d: Difference | None) -> str:
    return "-" if d is None else f"{d.difference:+.2f} ± {d.half_width:.2f}"


def _tolerance_table(run: ToleranceRun) -> tuple[tuple[str, ...], Sequence[tuple[object, ...]]]:
    tput_unit, tput = si_column([r.throughput_ips for r in run.rows], "images/s")
    energy_unit, energy = si_column([r.energy_per_image_j for r in run.rows], "J")
    area_unit, area = si_column([r.occupied_area_mm2 for r in run.rows], "mm²")
    columns = (
        "#",
        "technique",
        "accuracy (%)",
        "95% CI",
        "gain (pts)",
        "± ",
        "vs first run",
        f"throughput ({tput_unit})",
        f"energy per image ({energy_unit})",
        f"area ({area_unit})",
        "crossbars",
        "ADC conv. (M/image)",
        "remap s/chip",
        "eval s/chip",
        "Pareto front",
    )
    rows = [
        (
            i + 1,
            r.technique,
            f"{r.mean:.2f}",
            _interval(r.ci_low, r.ci_high),
            "-" if r.gain is None else f"{r.gain:+.2f}",
            "-" if r.gain_half_width is None else f"{r.gain_half_width:.2f}",
            _versus(r.vs_first_run),
            tput[i],
            energy[i],
            area[i],
            r.crossbars,
            f"{r.adc_conversions_per_image / 1e6:.3f}",
            r.remap_seconds_per_chip,
            r.eval_seconds_per_chip,
            r.on_front,
        )
        for i, r in enumerate(run.rows)
    ]
    return columns, rows


def _tolerance_table_page(run: ToleranceRun, head: str) -> Figure:
    columns, rows = _tolerance_table(run)
    fig = page(f"Fault tolerance with its cost: {run.label}", head)
    table(
        fig,
        (0.04, 0.1, 0.92, 0.76),
        columns,
        rows,
        font=7,
        highlight=[r.on_front for r in run.rows],
    )
    search = run.search
    bn = ", ".join(dict.fromkeys(r.bn_set or "not recorded" for r in run.rows))
    footnote(
        fig,
        f"BatchNorm statistics (one rule, as evaluate): {bn}."
        + (
            f" Placement search: {search.rule}; chosen {search.chosen} under {search.budget}."
            if search
            else ""
        ),
    )
    return fig


def _tolerance_plot_page(run: ToleranceRun, head: str) -> Figure:
    fig = page(f"Accuracy bought against energy: {run.label}", head)
    ax = fig.add_axes((0.08, 0.14, 0.86, 0.68))
    for r in run.rows:
        ax.errorbar(
            r.energy_per_image_j,
            r.mean,
            yerr=_bar(r.mean, r.ci_low, r.ci_high),
            fmt="o",
            capsize=2,
            color=FRONT if r.technique.startswith("search") else "#1f77b4",
        )
    si_axis(ax, "x", [r.energy_per_image_j for r in run.rows], "energy per image", "J")
    ax.set_ylabel("mean accuracy over chips (%)")
    ax.grid(alpha=0.3)
    place_labels(
        ax,
        [r.energy_per_image_j for r in run.rows],
        [r.mean for r in run.rows],
        [str(i + 1) for i in range(len(run.rows))],
    )
    footnote(
        fig,
        "Numbers: the rows of the table before. "
        + "; ".join(f"{i + 1} {r.technique}" for i, r in enumerate(run.rows[:60])),
    )
    return fig


def tolerance_pages(study: ToleranceStudy) -> list[Figure]:
    """Per checkpoint: technique rows (accuracy, paired gain, costs) and gain against cost."""
    figs = []
    for run in study.runs:
        head = (
            f"{_setting(study.setting)}. Checkpoint {Path(run.checkpoint).name}; "
            f"gain = technique minus {run.reference} on the same chips (mean ± 95% "
            "half-width)."
        )
        figs.append(_tolerance_table_page(run, head))
        figs.append(_tolerance_plot_page(run, head))
    return figs


def _bar(mean: float, low: float | None, high: float | None) -> list[list[float]] | None:
    """An error bar from `low` to `high` about `mean` (none without an interval)."""
    return None if low is None or high is None else [[mean - low], [high - mean]]


def study_pages(study: StoredStudy) -> list[Figure]:
    if isinstance(study, VulnerabilityStudy):
        return vulnerability_pages(study)
    return tolerance_pages(study)


def render_tolerance_report(studies: Sequence[StoredStudy], path: Path) -> Path:
    """Every study's pages into one PDF at `path` (written atomically)."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    def write(tmp: Path) -> None:
        with PdfPages(
            tmp,
            metadata={
                "Title": "archsim fault-tolerance report",
                "Creator": f"archsim {__version__}",
            },
        ) as pdf:
            for study in studies:
                for fig in study_pages(study):
                    pdf.savefig(fig)
                    plt.close(fig)

    return atomic_write(path, write)
