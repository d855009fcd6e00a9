"""`archsim pareto` / `archsim report` on bad input: exit 2, one `error:` line, nothing touched."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import yaml
from click.testing import CliRunner

from archsim.cli import cli
from archsim.explore.jobs import STORE_SCHEMA
from archsim.explore.store import ResultsStore

SPEC = {
    "name": "tiny",
    "dataset": "digits",
    "models": ["resnet20"],
    "widths": [1.0],
    "training": {"epochs": 1},
    "faults": {"rates": [0.0, 0.1], "chips": 2},
}


def _spec(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _run(*args: str | Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output.splitlines()


def _one_error(code: int, lines: list[str]) -> str:
    assert code == 2, lines
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    return lines[0]


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def test_unknown_key_in_spec(tmp_path: Path) -> None:
    spec = _spec(tmp_path, {**SPEC, "widthz": [1.0]})
    line = _one_error(*_run("pareto", "--spec", spec, "--out", tmp_path / "out"))
    assert "widthz: unknown key" in line
    assert not (tmp_path / "out").exists()


def test_empty_grid(tmp_path: Path) -> None:
    spec = _spec(tmp_path, {**SPEC, "widths": []})
    line = _one_error(*_run("pareto", "--spec", spec, "--out", tmp_path / "out"))
    assert "widths: empty grid" in line
    assert not (tmp_path / "out").exists()


def test_unwritable_output_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    spec = _spec(tmp_path, SPEC)
    line = _one_error(*_run("pareto", "--spec", spec, "--out", blocker / "out"))
    assert line.startswith(f"error: cannot write to output folder {blocker / 'out'}")
    assert blocker.read_text() == "not a folder"


def test_incompatible_store_version_is_refused_and_left_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    ResultsStore.open(out).close()
    conn = sqlite3.connect(out / "results.sqlite")
    with conn:
        conn.execute(
            "UPDATE meta SET value = ? WHERE name = 'schema_version'", (str(STORE_SCHEMA + 1),)
        )
    conn.close()
    before = _snapshot(out)
    spec = _spec(tmp_path, SPEC)
    for args in (
        ("pareto", "--spec", spec, "--out", out),
        ("report", out),
        ("report", out / "results.sqlite", "--out", tmp_path / "r.pdf"),
    ):
        line = _one_error(*_run(*args))
        assert f"has schema version {STORE_SCHEMA + 1}" in line
        assert _snapshot(out) == before
    assert not (tmp_path / "r.pdf").exists()


def test_report_of_a_missing_or_foreign_store(tmp_path: Path) -> None:
    line = _one_error(*_run("report", tmp_path / "nothing"))
    assert line == (
        f"error: no results store at {tmp_path / 'nothing'} (give a sweep's "
        "output folder or its results.sqlite)"
    )
    foreign = tmp_path / "x.sqlite"
    foreign.write_bytes(b"definitely not sqlite" * 10)
    line = _one_error(*_run("report", foreign))
    assert line == f"error: {foreign} is not an archsim results store"
    assert foreign.read_bytes() == b"definitely not sqlite" * 10


def test_preset_and_spec_together_or_unknown_preset(tmp_path: Path) -> None:
    spec = _spec(tmp_path, SPEC)
    _one_error(*_run("pareto", "--preset", "quick", "--spec", spec))
    line = _one_error(*_run("pareto", "--preset", "nope", "--out", tmp_path / "o"))
    assert "unknown preset 'nope'" in line
