"""A store with damaged or deleted rows: `archsim report` renders with one `warning:` line that
names what is missing and which rows are damaged (page 1 counts them too), and `archsim pareto`
on the same folder reruns exactly those jobs, after which the report has nothing to warn of."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import yaml
from bad_input_cases import SPEC
from click.testing import CliRunner

from archsim.cli import cli
from archsim.explore.store import ResultsStore


@pytest.mark.slow
def test_damaged_and_deleted_rows_are_named_and_rerun(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text(yaml.safe_dump(SPEC))
    sweep = ["pareto", "--spec", "spec.yaml", "--out", "out", "--quiet", "--jobs", "1"]
    assert CliRunner().invoke(cli, sweep).exit_code == 0
    conn = sqlite3.connect("out/results.sqlite")
    with conn:
        rows = conn.execute("SELECT key, kind, label FROM jobs ORDER BY kind").fetchall()
        by_kind = {kind: (key, label) for key, kind, label in rows}
        conn.execute("UPDATE jobs SET result = 'null' WHERE key = ?", (by_kind["simulate"][0],))
        conn.execute("DELETE FROM jobs WHERE key = ?", (by_kind["map"][0],))
    conn.close()
    result = CliRunner().invoke(cli, ["report", "out", "--out", "r.pdf"])
    assert result.exit_code == 0 and Path("r.pdf").stat().st_size > 0
    assert result.stderr.splitlines() == [
        f"warning: out/results.sqlite: 2 of {len(rows)} jobs are missing (1 map, 1 simulate); "
        f"1 stored row(s) are damaged and left out: {by_kind['simulate'][1]}; the report's "
        "first page says so; run `archsim pareto` again to rerun them"
    ]
    assert CliRunner().invoke(cli, sweep).exit_code == 0  # reruns the two jobs
    with ResultsStore.open(Path("out"), create=False) as store:
        assert store.damaged() == [] and len(store.done_keys()) == len(rows)
    again = CliRunner().invoke(cli, ["report", "out", "--out", "r2.pdf"])
    assert again.exit_code == 0 and again.stderr == ""
