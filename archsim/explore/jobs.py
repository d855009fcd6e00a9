"""Jobs of a sweep: records keyed by the hash of their resolved config, and how a worker runs one.

A job kind is a plain function `fn(config, inputs, ctx) -> dict` named by "module:function",
so a worker process (local or on a Ray node) imports it by name and nothing is pickled but
JSON text. `inputs` maps each dependency's role to that dependency's stored result.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archsim.atomic import atomic_write_text

# Bumped whenever job configs, results or the store's tables change meaning; it is part of
# every job key, so results of an older layout can never be mistaken for current ones.
STORE_SCHEMA = 1

JobFunction = Callable[[dict[str, Any], dict[str, dict[str, Any]], "JobContext"], dict[str, Any]]

# kind -> "module:function"; the sweep's own kinds, and any a caller (a test) registers.
KINDS: dict[str, str] = {
    "map": "archsim.explore.kinds.perf:run_map",
    "simulate": "archsim.explore.kinds.perf:run_simulate",
    "train": "archsim.explore.kinds.train:run_train",
    "recalibrate": "archsim.explore.kinds.train:run_recalibrate",
    "evaluate": "archsim.explore.kinds.evaluate:run_evaluate",
    "tolerance": "archsim.explore.kinds.tolerance:run_tolerance",
}


def register_kind(kind: str, target: str) -> None:
    """Make `kind` run `target` ("module:function"); the module must be importable by workers."""
    if ":" not in target:
        raise ValueError(f"job kind target must be 'module:function', got {target!r}")
    KINDS[kind] = target


def canonical_json(value: Any) -> str:
    """Stable JSON: sorted keys, no whitespace, no NaN; the text that is hashed and stored."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def job_key(kind: str, config: Mapping[str, Any], deps: Mapping[str, str]) -> str:
    text = canonical_json(
        {"schema": STORE_SCHEMA, "kind": kind, "config": dict(config), "deps": dict(deps)}
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Job:
    """One unit of work. `deps` are (role, key) pairs; `point` names the design point."""

    key: str
    kind: str
    config_json: str
    deps: tuple[tuple[str, str], ...] = ()
    label: str = ""
    point: tuple[tuple[str, Any], ...] = field(default=(), compare=False)

    @property
    def config(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.config_json)
        return loaded

    @property
    def seed(self) -> int | None:
        seed = self.config.get("seed")
        return seed if isinstance(seed, int) else None


def make_job(
    kind: str,
    config: Mapping[str, Any],
    deps: Mapping[str, str] | None = None,
    label: str = "",
    point: Mapping[str, Any] | None = None,
) -> Job:
    deps = dict(deps or {})
    return Job(
        key=job_key(kind, config, deps),
        kind=kind,
        config_json=canonical_json(dict(config)),
        deps=tuple(sorted(deps.items())),
        label=label or kind,
        point=tuple(sorted((point or {}).items())),
    )


@dataclass(frozen=True)
class JobContext:
    """Where a job may write files: `workdir` (its own folder) under the store's `root`."""

    key: str
    root: Path
    workdir: Path

    def relative(self, path: Path) -> str:
        return os.path.relpath(path, self.root)

    def resolve(self, relative: str) -> Path:
        return self.root / relative

    def status(self, text: str) -> None:
        """Say what the job is doing now (a training's epoch), for the sweep's progress
        line (`job_status`)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.workdir / STATUS, text)


STATUS = "status.txt"


def job_status(root: Path, key: str) -> str:
    """What the running job `key` last said it is doing (`JobContext.status`), or ""."""
    try:
        return (root / "artifacts" / key / STATUS).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""


@dataclass(frozen=True)
class JobPayload:
    """Everything a worker needs, as plain text and strings (cheap to send anywhere)."""

    key: str
    kind: str
    target: str
    config_json: str
    inputs_json: str
    root: str


@dataclass(frozen=True)
class JobOutcome:
    key: str
    result_json: str
    started_at: float
    finished_at: float
    worker: str


def payload_for(job: Job, inputs: Mapping[str, dict[str, Any]], root: Path) -> JobPayload:
    if job.kind not in KINDS:
        raise KeyError(f"no job kind {job.kind!r} registered")
    return JobPayload(
        key=job.key,
        kind=job.kind,
        target=KINDS[job.kind],
        config_json=job.config_json,
        inputs_json=canonical_json(dict(inputs)),
        root=str(root),
    )


def _resolve(target: str) -> JobFunction:
    module_name, _, attribute = target.partition(":")
    function: JobFunction = getattr(importlib.import_module(module_name), attribute)
    return function


def pin_torch_threads(threads: int = 1) -> None:
    """One torch thread per job: results then do not depend on how many jobs share the CPU,
    and jobs running side by side never oversubscribe it (OpenMP threads spinning against
    each other made training 10-100x slower here). Job kinds that use torch call this after
    importing it; workers also start with OMP_NUM_THREADS=1."""
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)


def execute(payload: JobPayload) -> JobOutcome:
    """Run one job (in whatever process this is) and return its JSON result."""
    started = time.time()
    pin_torch_threads()
    root = Path(payload.root)
    workdir = root / "artifacts" / payload.key
    ctx = JobContext(key=payload.key, root=root, workdir=workdir)
    function = _resolve(payload.target)
    result = function(json.loads(payload.config_json), json.loads(payload.inputs_json), ctx)
    return JobOutcome(
        key=payload.key,
        result_json=canonical_json(result),
        started_at=started,
        finished_at=time.time(),
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )
