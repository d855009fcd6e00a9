"""Run a job graph on an executor: skip what the store has, respect dependencies, record each
finished job in its own transaction, and stop cleanly on a failure or Ctrl-C."""

from __future__ import annotations

import heapq
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from archsim.errors import UserError
from archsim.explore.executors import Executor
from archsim.explore.jobs import Job, JobOutcome, job_status, payload_for
from archsim.explore.progress import SweepProgress
from archsim.explore.provenance import Provenance
from archsim.explore.store import ResultsStore

# Long chains first: a train job feeds many evaluations, so starting it early keeps every
# worker busy; among equals, the order of the expansion.
_PRIORITY = {"train": 0, "recalibrate": 1, "evaluate": 2, "map": 3, "simulate": 4, "tolerance": 5}


@dataclass(frozen=True)
class RunSummary:
    total: int
    skipped: int
    ran: int


def _unique(jobs: Sequence[Job]) -> dict[str, Job]:
    by_key: dict[str, Job] = {}
    for job in jobs:
        by_key.setdefault(job.key, job)
    for job in by_key.values():
        for role, dep in job.deps:
            if dep not in by_key:
                raise ValueError(f"job {job.label} needs {role} job {dep}, not in the sweep")
    return by_key


def _job_failure(job: Job, exc: BaseException) -> BaseException:
    if isinstance(exc, UserError):
        return UserError(f"job '{job.label}' failed: {str(exc).splitlines()[0]}")
    return exc


def run_jobs(
    jobs: Sequence[Job],
    store: ResultsStore,
    executor: Executor,
    provenance: Provenance,
    sweep_id: int | None = None,
    progress: SweepProgress | None = None,
) -> RunSummary:
    by_key = _unique(jobs)
    order = {key: i for i, key in enumerate(by_key)}
    done = store.done_keys() & set(by_key)
    skipped = len(done)
    waiting = {k: {d for _, d in j.deps} - done for k, j in by_key.items() if k not in done}
    dependants: dict[str, list[str]] = {}
    for key in waiting:
        for dep in sorted({d for _, d in by_key[key].deps}):  # one job may fill two roles
            dependants.setdefault(dep, []).append(key)
    ready: list[tuple[int, int, str]] = []

    def make_ready(key: str) -> None:
        heapq.heappush(ready, (_PRIORITY.get(by_key[key].kind, 9), order[key], key))

    for key, deps in waiting.items():
        if not deps:
            make_ready(key)
    results: dict[str, dict[str, Any]] = {}

    def inputs_of(job: Job) -> dict[str, dict[str, Any]]:
        for _, dep in job.deps:
            if dep not in results:
                stored = store.result(dep)
                assert stored is not None, f"dependency {dep} missing from the store"
                results[dep] = stored
        return {role: results[dep] for role, dep in job.deps}

    progress = progress or SweepProgress(enabled=False)
    progress.start(
        len(by_key),
        skipped,
        pending=Counter(by_key[key].kind for key in waiting),
        history=store.durations(),
        slots=executor.slots,
        status=lambda key: job_status(store.root, key),
    )
    in_flight = 0
    ran = 0
    failure: BaseException | None = None
    try:
        while True:
            while failure is None and ready and in_flight < executor.slots:
                job = by_key[heapq.heappop(ready)[2]]
                executor.submit(payload_for(job, inputs_of(job), store.root))
                progress.begin(job.key, job.kind, job.label)
                in_flight += 1
            if in_flight == 0:
                break
            for payload, outcome in executor.wait():
                in_flight -= 1
                job = by_key[payload.key]
                if not isinstance(outcome, JobOutcome):
                    failure = failure or _job_failure(job, outcome)
                    continue
                store.put(job, outcome, provenance, sweep_id)
                results[job.key] = json.loads(outcome.result_json)
                ran += 1
                progress.advance(job.key, outcome.finished_at - outcome.started_at)
                for child in dependants.get(job.key, ()):
                    waiting[child].discard(job.key)
                    if not waiting[child]:
                        make_ready(child)
    except BaseException:
        executor.shutdown(cancel=True)
        progress.close()
        raise
    executor.shutdown(cancel=failure is not None)
    progress.close()
    if failure is not None:
        raise failure
    unfinished = len(by_key) - skipped - ran
    if unfinished:
        raise RuntimeError(f"{unfinished} jobs never became ready: the job graph has a cycle")
    return RunSummary(total=len(by_key), skipped=skipped, ran=ran)
