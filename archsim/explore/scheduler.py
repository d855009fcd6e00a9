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


class _Graph:
    """The jobs still to run: each one's unfinished dependencies, and a ready heap ordered by
    kind (`_PRIORITY`), then by the expansion's order."""

    def __init__(self, by_key: dict[str, Job], done: set[str]) -> None:
        self.by_key = by_key
        self.order = {key: i for i, key in enumerate(by_key)}
        self.waiting = {
            k: {d for _, d in j.deps} - done for k, j in by_key.items() if k not in done
        }
        self.dependants: dict[str, list[str]] = {}
        for key in self.waiting:
            for dep in sorted({d for _, d in by_key[key].deps}):  # one job may fill two roles
                self.dependants.setdefault(dep, []).append(key)
        self.ready: list[tuple[int, int, str]] = []
        for key, deps in self.waiting.items():
            if not deps:
                self._make_ready(key)

    def _make_ready(self, key: str) -> None:
        entry = (_PRIORITY.get(self.by_key[key].kind, 9), self.order[key], key)
        heapq.heappush(self.ready, entry)

    def pop(self) -> Job:
        return self.by_key[heapq.heappop(self.ready)[2]]

    def finished(self, key: str) -> None:
        """Job `key` is done: its dependants with nothing else to wait for become ready."""
        for child in self.dependants.get(key, ()):
            self.waiting[child].discard(key)
            if not self.waiting[child]:
                self._make_ready(child)


def _inputs(job: Job, results: dict[str, dict[str, Any]], store: ResultsStore) -> dict[str, Any]:
    """`job`'s dependencies' results by role (read from the store once where not at hand)."""
    for _, dep in job.deps:
        if dep not in results:
            stored = store.result(dep)
            assert stored is not None, f"dependency {dep} missing from the store"
            results[dep] = stored
    return {role: results[dep] for role, dep in job.deps}


def run_jobs(
    jobs: Sequence[Job],
    store: ResultsStore,
    executor: Executor,
    provenance: Provenance,
    sweep_id: int | None = None,
    progress: SweepProgress | None = None,
) -> RunSummary:
    by_key = _unique(jobs)
    done = store.done_keys() & set(by_key)
    skipped = len(done)
    graph = _Graph(by_key, done)
    results: dict[str, dict[str, Any]] = {}
    progress = progress or SweepProgress(enabled=False)
    progress.start(
        len(by_key),
        skipped,
        pending=Counter(by_key[key].kind for key in graph.waiting),
        history=store.durations(),
        slots=executor.slots,
        status=lambda key: job_status(store.root, key),
    )
    in_flight = 0
    ran = 0
    failure: BaseException | None = None
    try:
        while True:
            while failure is None and graph.ready and in_flight < executor.slots:
                job = graph.pop()
                executor.submit(payload_for(job, _inputs(job, results, store), store.root))
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
                graph.finished(job.key)
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
