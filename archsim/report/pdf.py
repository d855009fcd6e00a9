"""Render a sweep's report: every section in a fixed order into one PDF, written atomically."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from archsim import __version__
from archsim.atomic import atomic_write
from archsim.explore.results import SweepData
from archsim.report.pages_cost import mapping_pages, policy_pages, table2_pages
from archsim.report.pages_curves import curve_pages, stability_pages
from archsim.report.pages_dropconnect import best_rate_pages, heatmap_pages
from archsim.report.pages_pareto import pareto_pages
from archsim.report.pages_title import title_page
from archsim.report.pages_training import training_pages

Section = Callable[[SweepData], list[Figure]]
SECTIONS: tuple[Section, ...] = (
    title_page, mapping_pages, table2_pages, heatmap_pages, best_rate_pages, curve_pages,
    stability_pages, policy_pages, pareto_pages, training_pages,
)


def render_report(data: SweepData, path: Path) -> Path:
    """Write the report to `path` (never a half-written file) and return it."""

    def write(tmp: Path) -> None:
        with PdfPages(tmp, metadata={"Title": f"archsim sweep report: {data.spec.name}",
                                     "Creator": f"archsim {__version__}"}) as pdf:
            number = 0
            for section in SECTIONS:
                for fig in section(data):
                    number += 1
                    fig.text(0.97, 0.015, f"{data.spec.name} - page {number}", ha="right",
                             fontsize=7, color="#777777")
                    pdf.savefig(fig)
                    plt.close(fig)

    return atomic_write(path, write)
