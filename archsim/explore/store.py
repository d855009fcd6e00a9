"""The results store: one SQLite file (WAL mode) in a sweep's output folder.

Only the process that runs the sweep writes, and a job's row is written in one transaction
once the job is complete, so a crash (Ctrl-C, kill -9) loses at most the jobs in flight and
never leaves half a result; the job key is the primary key, so nothing is counted twice.
A store is created under a temporary name and renamed into place, so it is never half-made.
A row whose result is not a JSON object with something in it (a corrupt or hand-edited row)
counts as missing: a sweep runs that job again and replaces the row, a report leaves it out.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archsim import __version__
from archsim.atomic import give_plain_permissions
from archsim.errors import UserError
from archsim.explore.jobs import STORE_SCHEMA, Job, JobOutcome
from archsim.explore.provenance import Provenance

STORE_NAME = "results.sqlite"

_TABLES = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE jobs (
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, label TEXT NOT NULL, config TEXT NOT NULL,
    deps TEXT NOT NULL, result TEXT NOT NULL, seed INTEGER, archsim_version TEXT NOT NULL,
    git_commit TEXT NOT NULL, started_at REAL NOT NULL, finished_at REAL NOT NULL,
    duration_s REAL NOT NULL, worker TEXT NOT NULL, sweep_id INTEGER
);
CREATE TABLE sweeps (
    id INTEGER PRIMARY KEY AUTOINCREMENT, spec TEXT NOT NULL, executor TEXT NOT NULL,
    archsim_version TEXT NOT NULL, git_commit TEXT NOT NULL, host TEXT NOT NULL,
    started_at REAL NOT NULL, finished_at REAL, status TEXT NOT NULL, jobs_total INTEGER,
    jobs_run INTEGER
);
"""


@dataclass(frozen=True)
class StoredJob:
    key: str
    kind: str
    label: str
    config: dict[str, Any]
    deps: dict[str, str]
    result: dict[str, Any]
    seed: int | None
    archsim_version: str
    git_commit: str
    started_at: float
    finished_at: float
    worker: str


def store_path(location: str | Path) -> Path:
    """A store is named by its file or by the folder holding `results.sqlite`."""
    path = Path(location)
    if path.is_file() or (not path.is_dir() and path.suffix in (".sqlite", ".sqlite3", ".db")):
        return path
    return path / STORE_NAME


def _read_schema(path: Path) -> int:
    """The schema version in an existing file, read without touching it in any way."""
    uri = f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        row = None
    if row is None:
        raise UserError(f"{path} is not an archsim results store")
    try:
        return int(row[0])
    except ValueError:
        raise UserError(f"{path} is not an archsim results store") from None


def _parsed(text: object) -> dict[str, Any] | None:
    """A stored result, or None for one that is corrupt or empty."""
    try:
        value = json.loads(text) if isinstance(text, str | bytes) else None
    except (ValueError, RecursionError):  # invalid, or nested past the parser's stack
        return None
    return value if isinstance(value, dict) and value else None


def _usable(config: object, deps: object, result: object) -> bool:
    """A row a sweep may count as done: its config, deps and result all read back whole."""
    parsed_deps = _parsed(deps) if deps != "{}" else {}
    return _parsed(config) is not None and parsed_deps is not None and _parsed(result) is not None


def _check_schema(path: Path) -> None:
    found = _read_schema(path)
    if found != STORE_SCHEMA:
        raise UserError(
            f"results store {path} has schema version {found}, this archsim ({__version__}) "
            f"reads version {STORE_SCHEMA}: use another output folder"
        )


def check_store(location: str | Path) -> None:
    """Refuse, touching nothing, a store this archsim cannot use (when there is one)."""
    path = store_path(location)
    if path.exists():
        _check_schema(path)


def _create(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise UserError(
            f"cannot write to output folder {path.parent}: {exc.strerror or exc}"
        ) from None
    os.close(fd)
    try:
        give_plain_permissions(Path(tmp_name))
        conn = sqlite3.connect(tmp_name)
        with conn:
            conn.executescript(_TABLES)
            conn.executemany(
                "INSERT INTO meta (name, value) VALUES (?, ?)",
                [
                    ("schema_version", str(STORE_SCHEMA)),
                    ("created_by", __version__),
                    ("created_at", repr(time.time())),
                ],
            )
        conn.close()
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


class ResultsStore:
    """Read and write a results store; use `ResultsStore.open(...)` and close it (or `with`)."""

    def __init__(self, path: Path, conn: sqlite3.Connection, readonly: bool) -> None:
        self.path = path
        self.root = path.parent
        self.readonly = readonly
        self._conn = conn

    @classmethod
    def open(cls, location: str | Path, create: bool = True) -> ResultsStore:
        path = store_path(location)
        if path.exists():
            _check_schema(path)
        elif create:
            _create(path)
        elif Path(location).exists() and not Path(location).is_dir():
            raise UserError(f"{location} is not an archsim results store")
        else:
            raise UserError(
                f"no results store at {location} (give a sweep's output folder or its {STORE_NAME})"
            )
        if create:
            if not os.access(path.parent, os.W_OK) or not os.access(path, os.W_OK):
                raise UserError(f"cannot write to output folder {path.parent}")
            conn = sqlite3.connect(path, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            return cls(path, conn, readonly=False)
        uri = f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro"
        if not path.with_name(path.name + "-wal").exists():
            # No writer has it open: read it as an immutable file, which also works on a
            # read-only filesystem and leaves no -wal/-shm files behind.
            uri += "&immutable=1"
        conn = sqlite3.connect(uri, uri=True, timeout=30)
        return cls(path, conn, readonly=True)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- jobs -------------------------------------------------------------------------------
    def done_keys(self) -> set[str]:
        """Keys of the jobs with a usable row; unusable rows are deleted (when writable)
        so that their jobs run again."""
        rows = self._conn.execute("SELECT key, config, deps, result FROM jobs").fetchall()
        bad = [row[0] for row in rows if not _usable(*row[1:])]
        if bad and not self.readonly:
            with self._conn:
                self._conn.executemany("DELETE FROM jobs WHERE key = ?", [(k,) for k in bad])
        return {row[0] for row in rows} - set(bad)

    def damaged(self) -> list[str]:
        """The labels of the rows whose config, deps or result cannot be read back: a report
        leaves them out and names them, a sweep runs their jobs again."""
        rows = self._conn.execute("SELECT label, config, deps, result FROM jobs ORDER BY key")
        return [str(row[0]) for row in rows if not _usable(*row[1:])]

    def put(
        self, job: Job, outcome: JobOutcome, provenance: Provenance, sweep_id: int | None
    ) -> bool:
        """Record a finished job in one transaction; False if it was already there."""
        with self._conn:
            cursor = self._conn.execute(
                "INSERT INTO jobs (key, kind, label, config, deps, result, seed, archsim_version,"
                " git_commit, started_at, finished_at, duration_s, worker, sweep_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING",
                (
                    job.key,
                    job.kind,
                    job.label,
                    job.config_json,
                    json.dumps(dict(job.deps), sort_keys=True),
                    outcome.result_json,
                    job.seed,
                    provenance.archsim_version,
                    provenance.git_commit,
                    outcome.started_at,
                    outcome.finished_at,
                    outcome.finished_at - outcome.started_at,
                    outcome.worker,
                    sweep_id,
                ),
            )
        return cursor.rowcount == 1

    def result(self, key: str) -> dict[str, Any] | None:
        row = self._conn.execute("SELECT result FROM jobs WHERE key = ?", (key,)).fetchone()
        return None if row is None else _parsed(row[0])

    def durations(self) -> list[tuple[str, float]]:
        """(kind, seconds) of every stored job: what the sweep's ETA learns from."""
        rows = self._conn.execute("SELECT kind, duration_s FROM jobs").fetchall()
        return [(str(kind), float(seconds)) for kind, seconds in rows if seconds is not None]

    def jobs(self, kind: str | None = None) -> Iterator[StoredJob]:
        """Every stored job with a usable result (see the module doc), in key order."""
        query = (
            "SELECT key, kind, label, config, deps, result, seed, archsim_version, git_commit,"
            " started_at, finished_at, worker FROM jobs"
        )
        args: tuple[str, ...] = ()
        if kind is not None:
            query += " WHERE kind = ?"
            args = (kind,)
        for row in self._conn.execute(query + " ORDER BY key", args):
            result, config = _parsed(row[5]), _parsed(row[3])
            deps = {} if row[4] == "{}" else _parsed(row[4])
            if result is None or config is None or deps is None:
                continue  # damaged: left out here, named by `damaged`, rerun by a sweep
            yield StoredJob(
                key=row[0],
                kind=row[1],
                label=row[2],
                config=config,
                deps=deps,
                result=result,
                seed=row[6],
                archsim_version=row[7],
                git_commit=row[8],
                started_at=row[9],
                finished_at=row[10],
                worker=row[11],
            )

    # -- sweeps -----------------------------------------------------------------------------
    def begin_sweep(
        self, spec_json: str, executor: str, provenance: Provenance, jobs_total: int
    ) -> int:
        with self._conn:
            cursor = self._conn.execute(
                "INSERT INTO sweeps (spec, executor, archsim_version, git_commit, host,"
                " started_at, status, jobs_total, jobs_run) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
                (
                    spec_json,
                    executor,
                    provenance.archsim_version,
                    provenance.git_commit,
                    provenance.host,
                    time.time(),
                    "running",
                    jobs_total,
                ),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def close_stale_sweeps(self) -> int:
        """Mark sweeps still 'running' as 'killed': called under the folder lock, when no
        other process can be running one, so those were killed before they could say so."""
        with self._conn:
            cursor = self._conn.execute(
                "UPDATE sweeps SET status = 'killed' WHERE status = 'running'"
            )
        return cursor.rowcount

    def end_sweep(self, sweep_id: int, status: str, jobs_run: int) -> None:
        with self._conn:
            self._conn.execute(
                "UPDATE sweeps SET finished_at = ?, status = ?, jobs_run = ? WHERE id = ?",
                (time.time(), status, jobs_run, sweep_id),
            )

    def sweeps(self) -> list[dict[str, Any]]:
        cursor = self._conn.execute("SELECT * FROM sweeps ORDER BY id")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def latest_spec(self) -> dict[str, Any]:
        row = self._conn.execute("SELECT spec FROM sweeps ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            raise UserError(f"results store {self.path} holds no sweep")
        spec = _parsed(row[0])
        if spec is None:
            raise UserError(f"results store {self.path}: the latest sweep's spec is corrupt")
        return spec

    def meta(self) -> dict[str, str]:
        return dict(self._conn.execute("SELECT name, value FROM meta").fetchall())
