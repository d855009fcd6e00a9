"""kill -9 a sweep at random points, several times (and Ctrl-C it once), then finish it: the
store must equal an uninterrupted run's, with no duplicate and no missing rows."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_explore_toykinds import run_toy, store_rows, toy_graph

SCRIPT = Path(__file__).with_name("test_explore_toykinds.py")
# Each job sleeps this long, so the 21-odd jobs left after a kill take seconds: long enough that
# the next kill lands mid-run even when a poll of the store is held up.
SLEEP_S = 0.3
WIDTH = 8  # 8 roots + 16 middles + 1 join = 25 jobs


def _start(out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            str(SCRIPT),
            str(out),
            "--jobs",
            "2",
            "--sleep",
            str(SLEEP_S),
            "--width",
            str(WIDTH),
        ],
        start_new_session=True,  # its own process group: kill -9 takes the workers too
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_for_rows(out: Path, proc: subprocess.Popen[bytes], target: int) -> None:
    """Wait until the store holds `target` rows (or the run ends): a kill then lands mid-run
    however slow the machine is, instead of after a guessed time."""
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            if (out / "results.sqlite").exists() and len(_raw_rows(out)) >= target:
                return
        except sqlite3.OperationalError:
            pass  # the store is being created or is locked for a moment
        time.sleep(0.02)


def _raw_rows(out: Path) -> list[tuple[str, str]]:
    # a short lock timeout: a poll the sweep's writer holds up fails fast and is retried,
    # instead of waiting (5 s by default) while the sweep runs on past the kill point
    conn = sqlite3.connect(out / "results.sqlite", timeout=0.05)
    try:
        return conn.execute("SELECT key, result FROM jobs").fetchall()
    finally:
        conn.close()


@pytest.mark.slow  # about 30 s: several sweeps killed and resumed
def test_kill_9_at_random_points_then_resume_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    run_toy(reference, jobs=1, sleep_s=SLEEP_S, width=WIDTH)
    expected = store_rows(reference)
    expected_results = {key: result for key, _, _, _, result, _ in expected}
    total = len(toy_graph(width=WIDTH))
    assert len(expected) == total == 25

    out = tmp_path / "killed"
    rng = random.Random(1234)
    progress = []
    kills = 0
    # Mostly kill -9 of the whole process group; once a Ctrl-C (SIGINT to the group).
    signals = (signal.SIGKILL, signal.SIGINT, signal.SIGKILL, signal.SIGKILL, signal.SIGKILL)
    for i, sig in enumerate(signals):
        proc = _start(out)
        # A random share of the remaining work, always leaving some for every later round.
        done = progress[-1] if progress else 0
        room = total - done - 2 * (len(signals) - i)
        _wait_for_rows(out, proc, done + rng.randint(1, max(1, min(4, room))))
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
            kills += sig == signal.SIGKILL
        proc.wait(timeout=30)
        if (out / "results.sqlite").exists():
            rows = _raw_rows(out)
            keys = [key for key, _ in rows]
            assert len(keys) == len(set(keys))  # nothing counted twice
            for key, result in rows:  # every stored row is a complete, correct result
                assert result == expected_results[key]
            progress.append(len(rows))
    assert kills >= 3, f"the sweep finished too early to be killed: {progress}"
    print("rows after each kill:", progress)
    assert progress == sorted(progress)  # nothing lost between kills

    finish = _start(out)
    _, stderr = finish.communicate(timeout=120)
    assert finish.returncode == 0, stderr.decode()
    assert store_rows(out) == expected
