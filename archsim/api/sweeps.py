"""The sweep arrows: `SweepSpec --sweep--> store --pareto--> front --report--> PDF`, and the
names a sweep can be given (shipped presets, executors). `archsim pareto` is `run_pareto`
and `archsim report` is `report` behind a few options.

The results, the sweep runner and the report load when a function needs them, so the names
(`executor_names`, `sweep_presets`, for a command's help) import no torch."""

from __future__ import annotations

import sqlite3
import warnings
from collections.abc import Mapping as MappingABC
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from archsim.errors import UserError
from archsim.explore.executors import EXECUTORS
from archsim.explore.pareto import OBJECTIVES, pareto_front
from archsim.explore.spec import SweepSpec, load_preset, load_spec, preset_names

if TYPE_CHECKING:
    from archsim.explore.results import SweepData
    from archsim.explore.sweep import SweepOutputs

__all__ = [
    "SweepSpec",
    "answer_lines",
    "executor_names",
    "pareto",
    "report",
    "run_pareto",
    "sweep",
    "sweep_presets",
    "sweep_spec",
]


def executor_names() -> tuple[str, ...]:
    """Where a sweep's jobs can run."""
    return EXECUTORS


def sweep_presets() -> list[str]:
    """The sweeps shipped with archsim, by name."""
    return preset_names()


def sweep_spec(preset: str | None = None, spec_file: Path | None = None) -> SweepSpec:
    """The sweep in the YAML file `spec_file`, else the shipped preset `preset` (quick)."""
    return load_spec(spec_file) if spec_file else load_preset(preset or "quick")


def sweep(
    spec: SweepSpec | str | Path,
    out: str | Path,
    executor: str = "local",
    jobs: int | None = None,
) -> SweepOutputs:
    """Run a sweep (a spec, a preset name or a YAML path) into `out`, resuming if present,
    and render its `report.pdf` there."""
    if not isinstance(spec, SweepSpec):
        path = Path(spec)
        spec = load_spec(path) if path.suffix in (".yaml", ".yml") else load_preset(str(spec))
    outputs, _ = run_pareto(spec, Path(out), executor=executor, jobs=jobs, progress=False)
    return outputs


def run_pareto(
    spec: SweepSpec,
    out: Path,
    *,
    executor: str = "local",
    jobs: int | None = None,
    address: str | None = None,
    progress: bool = True,
    with_report: bool = True,
) -> tuple[SweepOutputs, Path | None]:
    """Run `spec` into `out` (what its store holds is not rerun), write its tables there and,
    `with_report`, its report.pdf; the outputs and the report's path (None without one)."""
    from archsim.explore.sweep import run_sweep
    from archsim.progress import status
    from archsim.report.pdf import render_report

    try:
        outputs = run_sweep(
            spec, out, executor=executor, jobs=jobs, address=address, progress=progress
        )
    except sqlite3.DatabaseError as exc:  # a table dropped or rewritten by hand
        raise UserError(f"results store {out / 'results.sqlite'} is damaged: {exc}") from None
    if not with_report:
        return outputs, None
    with status(progress) as step:
        pdf = render_report(outputs.data, out / "report.pdf", step)
    return outputs, pdf


def answer_lines(data: SweepData) -> list[str]:
    """The report's answer page as lines of text: per Pareto fault rate the design point to
    build and what the alternatives change, then the findings tested (`explore.answer`)."""
    from archsim.explore.answer import answer_lines as lines

    return [] if data.answer is None else lines(data.answer)


def pareto(
    rows: Sequence[MappingABC[str, Any]], energy: Literal["total", "dynamic"] = "total"
) -> list[dict[str, Any]]:
    """`rows` (accuracy, throughput_ips, energy_per_image_j, occupied_area_mm2) each flagged
    `on_front`. `energy="dynamic"` takes the front on the accelerator's dynamic energy
    (`dynamic_energy_j`) instead of the whole energy per image, leaving out the static part,
    which rests on assumed static shares."""
    if energy == "total":
        return pareto_front(rows)
    objectives = tuple(
        ("dynamic_energy_j", up) if name == "energy_per_image_j" else (name, up)
        for name, up in OBJECTIVES
    )
    return pareto_front(rows, objectives)


def report(store: str | Path, out: str | Path | None = None, progress: bool = True) -> Path:
    """Re-render the PDF report of a sweep's results store (a results.sqlite file or its
    folder) without recomputing anything, to `out` (default: report.pdf beside the store);
    a folder that cannot be written fails with one line before anything is drawn; with
    `progress`, a status line on a terminal says what it is doing."""
    from archsim.explore.results import load_sweep
    from archsim.explore.store import ResultsStore
    from archsim.explore.sweep import check_writable
    from archsim.progress import status
    from archsim.report.pdf import render_report

    with status(progress) as step:
        step("report: reading the results store and deriving its tables")
        with ResultsStore.open(Path(store), create=False) as opened:
            try:
                data = load_sweep(opened)
                damaged = opened.damaged()
            except sqlite3.DatabaseError as exc:  # a table dropped or rewritten by hand
                raise UserError(f"results store {opened.path} is damaged: {exc}") from None
            target = Path(out) if out is not None else opened.root / "report.pdf"
        check_writable(target.parent)
        if data.missing or damaged:
            warnings.warn(
                _incomplete(opened.path, data.missing, data.jobs_total, damaged), stacklevel=2
            )
        return render_report(data, target, step)


def _incomplete(path: Path, missing: dict[str, int], total: int, damaged: list[str]) -> str:
    """One line: how many of the sweep's jobs the report lacks, and the damaged rows named."""
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(missing.items()))
    line = f"{path}: {sum(missing.values())} of {total} jobs are missing ({kinds or 'none'})"
    if damaged:
        shown = ", ".join(damaged[:3]) + (
            f" (+{len(damaged) - 3} more)" if len(damaged) > 3 else ""
        )
        line += f"; {len(damaged)} stored row(s) are damaged and left out: {shown}"
    return line + "; the report's first page says so; run `archsim pareto` again to rerun them"
