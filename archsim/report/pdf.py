"""Render a sweep's report: every section in a fixed order into one PDF, written atomically.

matplotlib (and the page modules, which import it) load only when a report is drawn, so
importing `archsim.api` does not pay for them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from archsim import __version__
from archsim.atomic import atomic_write

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from archsim.explore.results import SweepData
    from archsim.progress import Step

    Section = Callable[[SweepData], list[Figure]]


def sections() -> tuple[Section, ...]:
    """The report's sections in page order."""
    from archsim.report.pages_answer import answer_pages
    from archsim.report.pages_cost import mapping_pages, policy_pages, table2_pages
    from archsim.report.pages_curves import curve_pages, stability_pages
    from archsim.report.pages_dropconnect import best_rate_pages, heatmap_pages
    from archsim.report.pages_findings import findings_pages
    from archsim.report.pages_pareto import pareto_pages
    from archsim.report.pages_precision import precision_pages
    from archsim.report.pages_sweep_tolerance import sweep_tolerance_pages
    from archsim.report.pages_title import title_page
    from archsim.report.pages_training import training_pages

    return (
        title_page,
        answer_pages,
        findings_pages,
        mapping_pages,
        table2_pages,
        heatmap_pages,
        best_rate_pages,
        curve_pages,
        stability_pages,
        policy_pages,
        pareto_pages,
        precision_pages,
        sweep_tolerance_pages,
        training_pages,
    )


def section_name(section: Section) -> str:
    """A section in words, for the status line ("findings", "pareto")."""
    return section.__name__.removesuffix("_pages").removesuffix("_page").replace("_", " ")


def render_report(data: SweepData, path: Path, on_step: Step | None = None) -> Path:
    """Write the report to `path` (never a half-written file) and return it; `on_step` is
    told which section is being drawn."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    from archsim.explore.results import one_training_seed
    from archsim.report.pages_answer import answer_pages
    from archsim.report.pages_findings import findings_pages
    from archsim.report.pages_title import title_page

    one_seed, seed = one_training_seed(data)
    every_seed = (
        title_page,
        answer_pages,
        findings_pages,
    )  # the rest key rows by model, method and rate

    def write(tmp: Path) -> None:
        with PdfPages(
            tmp,
            metadata={
                "Title": f"archsim sweep report: {data.spec.name}",
                "Creator": f"archsim {__version__}",
            },
        ) as pdf:
            number = 0
            for section in sections():
                if on_step is not None:
                    on_step(f"report: drawing {section_name(section)} (page {number + 1})")
                for fig in section(data if section in every_seed else one_seed):
                    number += 1
                    fig.text(
                        0.97,
                        0.015,
                        f"{data.spec.name} - page {number}",
                        ha="right",
                        fontsize=7,
                        color="#777777",
                    )
                    if seed is not None and section not in every_seed:
                        fig.text(
                            0.03,
                            0.015,
                            f"training seed {seed} of "
                            f"{len(data.spec.train_seeds)}; the findings pages span every "
                            "seed",
                            fontsize=7,
                            color="#777777",
                        )
                    pdf.savefig(fig)
                    plt.close(fig)

    return atomic_write(path, write)
