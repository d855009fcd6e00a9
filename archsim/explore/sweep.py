"""One sweep, end to end: resolve datasets, expand, run what the store lacks, export the tables
and render the report. `archsim pareto` is this function behind a few options."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from archsim.errors import UserError
from archsim.explore.executors import make_executor
from archsim.explore.expand import DatasetShape, expand
from archsim.explore.export import export_tables
from archsim.explore.jobs import canonical_json
from archsim.explore.progress import SweepProgress
from archsim.explore.provenance import current_provenance
from archsim.explore.results import load_sweep, sweep_record
from archsim.explore.scheduler import RunSummary, run_jobs
from archsim.explore.spec import SweepSpec
from archsim.explore.store import ResultsStore


@dataclass(frozen=True)
class SweepOutputs:
    out: Path
    store: Path
    report: Path | None
    results_csv: Path
    pareto_csv: Path
    summary: RunSummary


def check_writable(folder: Path) -> None:
    """Fail with one line before any work if the output folder cannot be written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe."):
            pass
    except OSError as exc:
        raise UserError(
            f"cannot write to output folder {folder}: {exc.strerror or exc}"
        ) from None


def resolve_datasets(spec: SweepSpec) -> dict[str, DatasetShape]:
    """Each model's dataset (the first listed one present on this machine) and its net
    options: the model card's, overridden by the spec's, exactly as training resolves them."""
    from archsim.data import list_datasets
    from archsim.train import make_spec
    from archsim.train.resolve import resolve_spec

    infos = {info.name: info for info in list_datasets(spec.data_dir)}
    shapes: dict[str, DatasetShape] = {}
    for entry in spec.models:
        wanted = entry.dataset or spec.dataset
        names = [wanted] if isinstance(wanted, str) else list(wanted)
        for name in names:
            if name not in infos:
                raise UserError(f"unknown dataset {name!r}; choose one of {', '.join(infos)}")
        present = [n for n in names if infos[n].found]
        if not present:
            info = infos[names[-1]]
            raise UserError(f"none of the datasets {', '.join(names)} is present: "
                            f"{info.how_to_get}")
        info = infos[present[0]]
        options = resolve_spec(make_spec(model=entry.net, dataset=info.name,
                                         options=entry.options)).options
        shapes[entry.name] = DatasetShape(info.name, tuple(info.input_shape), info.num_classes,
                                          dict(options))
    return shapes


def run_sweep(
    spec: SweepSpec,
    out: Path,
    executor: str = "local",
    jobs: int | None = None,
    address: str | None = None,
    progress: bool = True,
    render: bool = True,
) -> SweepOutputs:
    if spec.data_dir:  # workers (local or Ray) find the data through the environment
        os.environ["ARCHSIM_DATA"] = os.pathsep.join(
            [spec.data_dir, *filter(None, os.environ.get("ARCHSIM_DATA", "").split(os.pathsep))]
        )
    shapes = resolve_datasets(spec)
    expansion = expand(spec, shapes)
    check_writable(out)
    provenance = current_provenance()
    workers = jobs or max(1, os.cpu_count() or 1)
    with ResultsStore.open(out) as store:
        runner = make_executor(executor, workers, address)
        total = len({job.key for job in expansion.jobs})
        sweep_id = store.begin_sweep(canonical_json(sweep_record(spec, shapes)), executor,
                                     provenance, total)
        try:
            summary = run_jobs(expansion.jobs, store, runner, provenance, sweep_id,
                               SweepProgress(enabled=progress))
        except KeyboardInterrupt:
            store.end_sweep(sweep_id, "interrupted", -1)
            raise
        except BaseException:
            store.end_sweep(sweep_id, "failed", -1)
            raise
        store.end_sweep(sweep_id, "done", summary.ran)
        data = load_sweep(store)
    results_csv, pareto_csv = export_tables(data, out)
    report = None
    if render:
        from archsim.report.pdf import render_report

        report = render_report(data, out / "report.pdf")
    return SweepOutputs(out, store.path, report, results_csv, pareto_csv, summary)
