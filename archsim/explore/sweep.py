"""One sweep, end to end: resolve and check everything the spec names, lock the output folder,
expand, run what the store lacks, export the tables and render the report. Nothing is
created before the whole spec (and the executor settings) has been checked.
`archsim pareto` is this function behind a few options."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from archsim.errors import UserError
from archsim.explore.executors import check_executor, make_executor
from archsim.explore.expand import expand
from archsim.explore.expansion import Expansion
from archsim.explore.export import export_tables
from archsim.explore.jobs import canonical_json
from archsim.explore.lock import folder_lock
from archsim.explore.progress import SweepProgress
from archsim.explore.provenance import current_provenance
from archsim.explore.resolve import Resolved, resolve
from archsim.explore.results import SweepData, load_sweep, sweep_record
from archsim.explore.scheduler import RunSummary, run_jobs
from archsim.explore.spec import SweepSpec
from archsim.explore.store import ResultsStore, check_store


@dataclass(frozen=True)
class SweepOutputs:
    """What a sweep wrote, and its tables (`data`) for the caller to render a report from."""

    out: Path
    store: Path
    results_csv: Path
    pareto_csv: Path
    summary: RunSummary
    data: SweepData


def check_writable(folder: Path) -> None:
    """Fail with one line before any work if the output folder cannot be written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe."):
            pass
    except OSError as exc:
        raise UserError(f"cannot write to output folder {folder}: {exc.strerror or exc}") from None


def run_sweep(
    spec: SweepSpec,
    out: Path,
    executor: str = "local",
    jobs: int | None = None,
    address: str | None = None,
    progress: bool = True,
) -> SweepOutputs:
    if spec.data_dir:  # workers (local or Ray) find the data through the environment
        os.environ["ARCHSIM_DATA"] = os.pathsep.join(
            [spec.data_dir, *filter(None, os.environ.get("ARCHSIM_DATA", "").split(os.pathsep))]
        )
    workers = jobs if jobs is not None else max(1, os.cpu_count() or 1)
    check_executor(executor, workers, address)
    resolved = resolve(spec)
    expansion = expand(spec, resolved.shapes, resolved.hardware)
    check_store(out)
    check_writable(out)
    with folder_lock(out):
        return _run_locked(spec, out, resolved, expansion, executor, workers, address, progress)


def _run_locked(
    spec: SweepSpec,
    out: Path,
    resolved: Resolved,
    expansion: Expansion,
    executor: str,
    workers: int,
    address: str | None,
    progress: bool,
) -> SweepOutputs:
    provenance = current_provenance()
    with ResultsStore.open(out) as store:
        store.close_stale_sweeps()
        runner = make_executor(executor, workers, address)
        total = len({job.key for job in expansion.jobs})
        record = sweep_record(spec, resolved.shapes, resolved.hardware)
        sweep_id = store.begin_sweep(canonical_json(record), executor, provenance, total)
        try:
            summary = run_jobs(
                expansion.jobs, store, runner, provenance, sweep_id, SweepProgress(enabled=progress)
            )
        except KeyboardInterrupt:
            store.end_sweep(sweep_id, "interrupted", -1)
            raise
        except BaseException:
            store.end_sweep(sweep_id, "failed", -1)
            raise
        store.end_sweep(sweep_id, "done", summary.ran)
        data = load_sweep(store)
    results_csv, pareto_csv = export_tables(data, out)
    return SweepOutputs(out, store.path, results_csv, pareto_csv, summary, data)
