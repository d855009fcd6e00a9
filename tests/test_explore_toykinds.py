"""A trivial but real job kind for testing the sweep machinery (store, scheduler, executors)
without training anything, plus the machinery's unit tests.

Run as a script (`python tests/test_explore_toykinds.py OUT [--jobs N] [--executor E]`) it
runs the toy sweep into OUT; the kill -9 test drives it that way.
"""

from __future__ import annotations

import argparse
import hashlib
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from archsim.errors import UserError
from archsim.explore.executors import make_executor
from archsim.explore.jobs import (
    Job,
    JobContext,
    canonical_json,
    job_key,
    make_job,
    register_kind,
)
from archsim.explore.provenance import current_provenance
from archsim.explore.scheduler import run_jobs
from archsim.explore.store import ResultsStore

MODULE = Path(__file__).stem


def toy_job(config: dict[str, Any], inputs: dict[str, dict[str, Any]], ctx: JobContext) -> dict:
    """Deterministic: a digest of the config and the inputs' digests; writes one artifact."""
    time.sleep(config.get("sleep_s", 0.0))
    if config.get("fail"):
        raise UserError(f"toy job {config['name']} was told to fail")
    text = canonical_json({"config": config, "inputs": {r: v["digest"] for r, v in inputs.items()}})
    digest = hashlib.sha256(text.encode()).hexdigest()
    ctx.workdir.mkdir(parents=True, exist_ok=True)
    artifact = ctx.workdir / "digest.txt"
    artifact.write_text(digest)
    return {
        "digest": digest,
        "value": int(digest[:6], 16) % 1000,
        "artifact": ctx.relative(artifact),
    }


def register_toy() -> None:
    register_kind("toy", f"{MODULE}:toy_job")


def toy_graph(width: int = 6, sleep_s: float = 0.0, seed: int = 0) -> list[Job]:
    """Three layers: `width` roots, 2*width jobs on two roots each, one job joining them all."""
    register_toy()
    roots = [
        make_job("toy", {"name": f"r{i}", "seed": seed, "sleep_s": sleep_s}, label=f"r{i}")
        for i in range(width)
    ]
    mids = [
        make_job(
            "toy",
            {"name": f"m{i}", "seed": seed, "sleep_s": sleep_s},
            {"a": roots[i % width].key, "b": roots[(i + 1) % width].key},
            label=f"m{i}",
        )
        for i in range(2 * width)
    ]
    join = make_job(
        "toy",
        {"name": "join", "seed": seed},
        {f"m{i:02d}": m.key for i, m in enumerate(mids)},
        label="join",
    )
    return [*roots, *mids, join]


def run_toy(
    out: Path, jobs: int = 1, executor: str = "local", sleep_s: float = 0.0, width: int = 6
) -> None:
    graph = toy_graph(width=width, sleep_s=sleep_s)
    provenance = current_provenance()
    with ResultsStore.open(out) as store:
        sweep = store.begin_sweep(canonical_json({"toy": width}), executor, provenance, len(graph))
        summary = run_jobs(graph, store, make_executor(executor, jobs), provenance, sweep)
        store.end_sweep(sweep, "done", summary.ran)


def store_rows(out: Path) -> list[tuple[str, str, str, str, str, int | None]]:
    """The rows that must match between runs (timestamps and workers may differ)."""
    with ResultsStore.open(out, create=False) as store:
        return [
            (
                j.key,
                j.kind,
                canonical_json(j.config),
                canonical_json(j.deps),
                canonical_json(j.result),
                j.seed,
            )
            for j in store.jobs()
        ]


# -- unit tests of the machinery ---------------------------------------------------------------


def test_job_key_is_stable_and_covers_config_and_deps() -> None:
    key = job_key("toy", {"b": 1, "a": [1.0, 2]}, {"x": "k"})
    assert key == job_key("toy", {"a": [1.0, 2], "b": 1}, {"x": "k"})  # key order is irrelevant
    assert key != job_key("toy", {"a": [1.0, 2], "b": 2}, {"x": "k"})
    assert key != job_key("toy", {"a": [1.0, 2], "b": 1}, {"x": "other"})
    assert key != job_key("other", {"a": [1.0, 2], "b": 1}, {"x": "k"})
    assert len(key) == 32 and int(key, 16) >= 0


def test_inline_run_respects_dependencies_and_a_rerun_runs_nothing(tmp_path: Path) -> None:
    graph = toy_graph(width=3)
    provenance = current_provenance()
    with ResultsStore.open(tmp_path) as store:
        first = run_jobs(graph, store, make_executor("local", 1), provenance)
        assert (first.total, first.skipped, first.ran) == (10, 0, 10)
        again = run_jobs(graph, store, make_executor("local", 1), provenance)
        assert (again.total, again.skipped, again.ran) == (10, 10, 0)
        by_key = {j.key: j for j in store.jobs()}
    assert len(by_key) == 10
    for job in graph:  # each result was computed from its dependencies' stored results
        stored = by_key[job.key]
        inputs = {role: by_key[dep].result["digest"] for role, dep in job.deps}
        text = canonical_json({"config": job.config, "inputs": inputs})
        assert stored.result["digest"] == hashlib.sha256(text.encode()).hexdigest()
        assert stored.archsim_version and stored.git_commit and stored.finished_at > 0
        assert (tmp_path / stored.result["artifact"]).read_text() == stored.result["digest"]


def test_process_pool_gives_the_same_rows_as_inline(tmp_path: Path) -> None:
    run_toy(tmp_path / "inline", jobs=1)
    run_toy(tmp_path / "pool", jobs=2)
    assert store_rows(tmp_path / "inline") == store_rows(tmp_path / "pool")
    assert len(store_rows(tmp_path / "pool")) == 19


def test_a_failing_job_stops_the_sweep_with_one_line_and_keeps_finished_work(
    tmp_path: Path,
) -> None:
    register_toy()
    ok = make_job("toy", {"name": "ok"}, label="ok")
    bad = make_job("toy", {"name": "bad", "fail": True}, {"up": ok.key}, label="bad")
    after = make_job("toy", {"name": "after"}, {"up": bad.key}, label="after")
    with ResultsStore.open(tmp_path) as store:
        with pytest.raises(UserError, match=r"^job 'bad' failed: toy job bad was told to fail$"):
            run_jobs([ok, bad, after], store, make_executor("local", 1), current_provenance())
        assert store.done_keys() == {ok.key}


def test_an_unknown_executor_or_bad_job_count_is_a_user_error() -> None:
    with pytest.raises(UserError, match="unknown executor 'dask'"):
        make_executor("dask", 1)
    with pytest.raises(UserError, match="--jobs must be at least 1"):
        make_executor("local", 0)


if __name__ == "__main__":
    # Ctrl-C must reach this sweep as it does a terminal's: a shell that starts the test
    # suite in the background (`make test-all &`) hands its children SIGINT ignored, and
    # Python then keeps ignoring it, so the resume test's Ctrl-C round would not interrupt
    signal.signal(signal.SIGINT, signal.default_int_handler)
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--executor", default="local")
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--width", type=int, default=6)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    run_toy(args.out, args.jobs, args.executor, args.sleep, args.width)
