"""The sweep arrows: `SweepSpec --sweep--> store --pareto--> front --report--> PDF`."""

from collections.abc import Mapping as MappingABC
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from archsim.explore.pareto import pareto_front
from archsim.explore.results import load_sweep
from archsim.explore.spec import SweepSpec, load_preset, load_spec
from archsim.explore.store import ResultsStore
from archsim.explore.sweep import SweepOutputs, run_sweep
from archsim.report.pdf import render_report

__all__ = ["SweepOutputs", "SweepSpec", "pareto", "report", "sweep"]


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
    outputs = run_sweep(spec, Path(out), executor=executor, jobs=jobs, progress=False)
    render_report(outputs.data, Path(out) / "report.pdf")
    return outputs


def pareto(rows: Sequence[MappingABC[str, Any]]) -> list[dict[str, Any]]:
    """`rows` (accuracy, throughput_ips, energy_per_image_j, occupied_area_mm2) each flagged
    `on_front`."""
    return pareto_front(rows)


def report(store: str | Path, out: str | Path) -> Path:
    """Re-render the PDF report of a sweep's results store without recomputing anything."""
    with ResultsStore.open(Path(store), create=False) as opened:
        data = load_sweep(opened)
    return render_report(data, Path(out))
