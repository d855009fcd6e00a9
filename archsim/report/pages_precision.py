"""The precision page (rows from `explore.precision_rows`): per Pareto fault rate, each hardware
variant of the sweep (`cost.hardware`, `cost.hardware_axes`) with its cost (energy per image,
occupied area, throughput) and its accuracy with the 95% interval side by side, its accuracy
change against the reference hardware on the same chips, and what a designer should read
from them. Drawn from stored rows only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.figure import Figure

from archsim.report.style import FRONT, MUTED, chunks, footnote, missing_page, page, table

if TYPE_CHECKING:
    from archsim.explore.precision_rows import PrecisionRow
    from archsim.explore.results import SweepData

TITLE = "Precision: each hardware variant's cost and accuracy"
COLUMNS = (
    "hardware",
    "model",
    "width",
    "ADC bits",
    "array",
    "bits per cell",
    "energy (uJ/img)",
    "area (mm2)",
    "throughput (img/s)",
    "accuracy (%)",
    "95% interval",
    "change vs reference (pts)",
    "±",
    "= reference on every chip",
)


def _micro(value: float | None) -> float | None:
    return None if value is None else value * 1e6


def _interval(r: PrecisionRow) -> str:
    if r.stats.ci_low is None or r.stats.ci_high is None:
        return "-"
    return f"{r.stats.ci_low:.2f} - {r.stats.ci_high:.2f}"


def _cells(r: PrecisionRow) -> list[object]:
    p = r.precision
    return [
        r.point.hardware,
        r.point.model,
        r.point.width,
        None if p is None else p.adc_bits,
        None if p is None else f"{p.rows}x{p.cols}",
        None if p is None else p.bits_per_cell,
        _micro(r.energy_per_image_j),
        r.occupied_area_mm2,
        r.throughput_ips,
        r.stats.mean,
        _interval(r),
        "reference" if r.reference else r.change,
        r.change_half_width,
        "=" if r.identical else "",
    ]


def _chart(fig: Figure, rows: list[PrecisionRow]) -> None:
    ax = fig.add_axes((0.07, 0.50, 0.38, 0.34))
    for i, r in enumerate(rows):
        if r.energy_per_image_j is None:
            continue
        low = r.stats.mean - r.stats.ci_low if r.stats.ci_low is not None else 0.0
        high = r.stats.ci_high - r.stats.mean if r.stats.ci_high is not None else 0.0
        ax.errorbar(
            [r.energy_per_image_j * 1e6],
            [r.stats.mean],
            yerr=[[low], [high]],
            fmt="o",
            color=FRONT if r.reference else MUTED,
            markeredgecolor="black",
            markeredgewidth=0.5,
            capsize=3,
        )
        # staggered, so that the names of variants of one cost do not print over each other
        ax.annotate(r.point.hardware, (r.energy_per_image_j * 1e6, r.stats.mean), fontsize=6,
                    xytext=(4, 4 + 9 * (i % 4)), textcoords="offset points")  # fmt: skip
    ax.set_xlabel("energy per image (uJ)")
    ax.set_ylabel("accuracy, mean over chips (%)")
    ax.grid(alpha=0.3)


def precision_pages(data: SweepData) -> list[Figure]:
    """Per Pareto rate: the energy-accuracy chart, the readings and the rows."""
    if not data.variants:
        return [
            missing_page(
                TITLE,
                "The sweep runs on one hardware description (list several under "
                "`cost.hardware`, or vary keys with `cost.hardware_axes`, e.g. "
                "{ima.adc.bits: [6, 7, 8]}).",
            )
        ]
    if not data.precision:
        return [missing_page(TITLE, "No variant has both an accuracy and a cost in the store yet.")]
    figs = []
    for rate in dict.fromkeys(r.fault_rate for r in data.precision):
        rows = [r for r in data.precision if r.fault_rate == rate]
        readings = [x.text for x in data.precision_readings if x.fault_rate == rate]
        for part in chunks(rows, 12):
            fig = page(
                f"{TITLE} (fault rate {rate:g})",
                f"The standard-trained model of each net and width under placement "
                f"{data.spec.cost.policy}, evaluated on {data.spec.faults.chips} chips of "
                "each variant's own description (its precision, cells and mapping) and "
                "costed on it in the sweep's budget. The change is paired per chip against "
                "the reference hardware (red): the same model on the same chips, so only the "
                "hardware differs.",
            )
            _chart(fig, list(part))
            fig.text(0.50, 0.84, "What to read from it", fontsize=10, fontweight="bold",
                     va="top")  # fmt: skip
            fig.text(0.50, 0.80, "\n\n".join(readings), fontsize=8, va="top", wrap=True)
            table(fig, (0.04, 0.07, 0.92, 0.36), COLUMNS, [_cells(r) for r in part], font=7,
                  highlight=[r.reference for r in part])  # fmt: skip
            footnote(
                fig,
                "ADC energy and area x2 per bit from the description's own ADC (Walden figure "
                "of merit; docs/reference.md s.7); arrays' power and area by their cells; one "
                "DAC per row, one sample-and-hold per column (docs/hardware-variants.md).",
            )
            figs.append(fig)
    return figs
