"""Store rows a crash or a hand edit leaves behind: corrupt or empty results count as missing
and run again; a sweep killed before it could say so is marked killed by the next one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from test_explore_toykinds import register_toy, run_toy, store_rows

from archsim.explore.jobs import canonical_json
from archsim.explore.provenance import current_provenance
from archsim.explore.store import ResultsStore


def test_corrupt_and_empty_rows_are_rerun_and_replaced(tmp_path: Path) -> None:
    register_toy()
    run_toy(tmp_path / "ref")
    expected = store_rows(tmp_path / "ref")
    out = tmp_path / "out"
    run_toy(out)
    conn = sqlite3.connect(out / "results.sqlite")
    with conn:
        first, second = (key for key, *_ in expected[:2])
        conn.execute("UPDATE jobs SET result = '{not json' WHERE key = ?", (first,))
        conn.execute("UPDATE jobs SET result = '{}' WHERE key = ?", (second,))
    conn.close()
    with ResultsStore.open(out, create=False) as store:  # a reader leaves them out
        assert {job.key for job in store.jobs()} == {k for k, *_ in expected} - {first, second}
    run_toy(out)  # the two jobs run again and their rows are whole once more
    assert store_rows(out) == expected


def test_a_sweep_left_running_is_marked_killed(tmp_path: Path) -> None:
    with ResultsStore.open(tmp_path) as store:
        store.begin_sweep(canonical_json({}), "local", current_provenance(), 1)
        assert store.close_stale_sweeps() == 1
        assert [s["status"] for s in store.sweeps()] == ["killed"]
