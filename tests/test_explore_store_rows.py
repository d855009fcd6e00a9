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


DEEP = "[" * 100_000 + "]" * 100_000  # past the JSON parser's stack
DAMAGE = [
    ("result", "{not json"),
    ("result", "{}"),
    ("result", "null"),
    ("result", "[1, 2]"),
    ("result", DEEP),
    ("config", "{not json"),
    ("config", "null"),
    ("config", DEEP),
    ("deps", "[]"),
]


def test_every_kind_of_damaged_row_is_named_left_out_and_rerun(tmp_path: Path) -> None:
    """Invalid JSON, `{}`, `null`, a list or JSON nested past the parser's stack, in a row's
    result, config or deps: the store names the row, a reader leaves it out, a sweep reruns it
    (all without a traceback)."""
    register_toy()
    run_toy(tmp_path / "ref")
    expected = store_rows(tmp_path / "ref")
    out = tmp_path / "out"
    run_toy(out)
    conn = sqlite3.connect(out / "results.sqlite")
    keys = [key for key, *_ in expected[: len(DAMAGE)]]
    with conn:
        for key, (column, text) in zip(keys, DAMAGE, strict=True):
            conn.execute(f"UPDATE jobs SET {column} = ? WHERE key = ?", (text, key))
        labels = [
            conn.execute("SELECT label FROM jobs WHERE key = ?", (k,)).fetchone()[0] for k in keys
        ]
    conn.close()
    with ResultsStore.open(out, create=False) as store:
        assert sorted(store.damaged()) == sorted(labels)
        assert {job.key for job in store.jobs()} == {k for k, *_ in expected} - set(keys)
    run_toy(out)  # every damaged job runs again
    assert store_rows(out) == expected
    with ResultsStore.open(out, create=False) as store:
        assert store.damaged() == []


def test_a_report_that_lacks_jobs_says_so_in_one_line() -> None:
    from archsim.api.sweeps import _incomplete

    line = _incomplete(Path("out/results.sqlite"), {"evaluate": 2, "train": 1}, 10, list("abcd"))
    assert line == (
        "out/results.sqlite: 3 of 10 jobs are missing (2 evaluate, 1 train); 4 stored row(s) "
        "are damaged and left out: a, b, c (+1 more); the report's first page says so; run "
        "`archsim pareto` again to rerun them"
    )
