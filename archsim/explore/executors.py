"""Where jobs run: in this process, in local worker processes, or on a Ray cluster.

Every executor takes `JobPayload`s (plain text) and hands back `JobOutcome`s; workers never
touch the store. Each job pins torch to one thread, so the numbers are identical whichever
executor runs it and however many run at once.
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import multiprocessing
import os
import signal
import sys
import warnings
from collections import deque
from typing import Any, Protocol

from archsim.errors import UserError
from archsim.explore.jobs import JobOutcome, JobPayload, execute

Finished = list[tuple[JobPayload, JobOutcome | BaseException]]
EXECUTORS = ("local", "ray")


class Executor(Protocol):
    name: str
    slots: int

    def submit(self, payload: JobPayload) -> None: ...

    def wait(self) -> Finished:
        """Block until at least one submitted job has finished; return those that have."""
        ...

    def shutdown(self, cancel: bool) -> None: ...


class InlineExecutor:
    """Runs each job in this process when it is waited for (`--jobs 1`)."""

    name = "inline"
    slots = 1

    def __init__(self) -> None:
        self._queue: deque[JobPayload] = deque()

    def submit(self, payload: JobPayload) -> None:
        self._queue.append(payload)

    def wait(self) -> Finished:
        payload = self._queue.popleft()
        try:
            return [(payload, execute(payload))]
        except Exception as exc:
            return [(payload, exc)]

    def shutdown(self, cancel: bool) -> None:
        self._queue.clear()


def _worker_init() -> None:
    # Ctrl-C goes to the whole process group: let the parent decide, and die with the parent
    # (kill -9 included) instead of finishing an orphaned job nobody will record.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler raises: not here
    # The parent already warned that a local hardware file shadows a shipped one.
    from archsim.config.hardware import ShadowWarning

    warnings.simplefilter("ignore", ShadowWarning)
    os.environ["OMP_NUM_THREADS"] = "1"  # before torch is imported here: see pin_torch_threads
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)


class LocalExecutor:
    """`jobs` worker processes on this machine (spawned, so torch state is never forked)."""

    name = "local"

    def __init__(self, jobs: int) -> None:
        self.slots = jobs
        self._pool = cf.ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
        )
        self._running: dict[cf.Future[JobOutcome], JobPayload] = {}

    def submit(self, payload: JobPayload) -> None:
        self._running[self._pool.submit(execute, payload)] = payload

    def wait(self) -> Finished:
        done, _ = cf.wait(list(self._running), return_when=cf.FIRST_COMPLETED)
        finished: Finished = []
        for future in done:
            payload = self._running.pop(future)
            exc = future.exception()
            finished.append((payload, exc if exc is not None else future.result()))
        return finished

    def shutdown(self, cancel: bool) -> None:
        if cancel:
            processes = dict(getattr(self._pool, "_processes", None) or {})
            self._pool.shutdown(wait=False, cancel_futures=True)
            for process in processes.values():
                process.terminate()
            for process in processes.values():
                process.join(timeout=5)
        else:
            self._pool.shutdown(wait=True)


class RayExecutor:
    """Jobs as Ray tasks (one CPU each) on a local cluster it starts, or on `address`."""

    name = "ray"

    def __init__(self, jobs: int | None, address: str | None) -> None:
        # Ray reports usage statistics to the internet unless told not to before it starts.
        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
        try:
            import ray
        except ImportError:
            raise UserError("executor 'ray' needs Ray: pip install 'archsim[ray]'") from None
        self._ray = ray
        self._owns_cluster = not ray.is_initialized()
        if self._owns_cluster:
            job_config = ray.job_config.JobConfig(code_search_path=[p for p in sys.path if p])
            options: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "logging_level": "ERROR",
                "job_config": job_config,
            }
            if address:
                options["address"] = address
            else:
                options["num_cpus"] = jobs or os.cpu_count() or 1
            try:
                ray.init(**options)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise UserError(f"cannot start or reach the Ray cluster: {exc}") from None
        total = int(ray.cluster_resources().get("CPU", 1))  # type: ignore[no-untyped-call]
        self.slots = max(1, min(jobs, total) if jobs else total)
        self._task = ray.remote(num_cpus=1, max_retries=0)(execute)
        self._running: dict[Any, JobPayload] = {}

    def submit(self, payload: JobPayload) -> None:
        self._running[self._task.remote(payload)] = payload

    def wait(self) -> Finished:
        ready, _ = self._ray.wait(list(self._running), num_returns=1)
        finished: Finished = []
        for ref in ready:
            payload = self._running.pop(ref)
            try:
                finished.append((payload, self._ray.get(ref)))
            except self._ray.exceptions.RayTaskError as exc:
                finished.append((payload, exc.as_instanceof_cause()))  # type: ignore[no-untyped-call]
            except Exception as exc:
                finished.append((payload, exc))
        return finished

    def shutdown(self, cancel: bool) -> None:
        if cancel:
            for ref in self._running:
                self._ray.cancel(ref, force=True)
        self._running.clear()
        if self._owns_cluster:
            self._ray.shutdown()


def check_executor(name: str, jobs: int, address: str | None = None) -> None:
    """The settings `make_executor` refuses, checked without starting anything."""
    if name not in EXECUTORS:
        raise UserError(f"unknown executor {name!r}; choose one of: {', '.join(EXECUTORS)}")
    if jobs < 1:
        raise UserError(f"--jobs must be at least 1, got {jobs}")
    if address and name != "ray":
        raise UserError("--address is only for --executor ray")


def make_executor(name: str, jobs: int, address: str | None = None) -> Executor:
    check_executor(name, jobs, address)
    if name == "ray":
        return RayExecutor(jobs, address)
    return InlineExecutor() if jobs == 1 else LocalExecutor(jobs)
