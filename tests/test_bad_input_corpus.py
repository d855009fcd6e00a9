"""The bad-input corpus: hostile input and faults a careful (or hostile) user can cause, each run
through the CLI. Every case must exit non-zero with ONE `error:` line on stderr (at most
`MAX_ERROR_CHARS` long), no traceback, nothing created or changed in the working folder, within
a time and a memory bound. `CASES` (`bad_input_cases.py`, and by class of input
`bad_input_classes.py`) lists them; `test_the_corpus_size` pins how many there are.
"""

from __future__ import annotations

import hashlib
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import bad_input_cases
import pytest
import torch
from bad_input_cases import CASES as FIRST_CASES
from bad_input_cases import Case, spec_file
from bad_input_classes import CLASS_CASES
from click.testing import CliRunner

from archsim.cli import MAX_ERROR_CHARS, cli
from archsim.explore.lock import folder_lock

CASES = [*FIRST_CASES, *CLASS_CASES]
TIME_BOUND_S = 30.0
MEMORY_BOUND_BYTES = 1 << 30  # growth of this process's peak resident memory in one case


def _snapshot(folder: Path) -> dict[str, tuple[int, str]]:
    return {
        str(p.relative_to(folder)): (
            p.stat().st_mode,
            hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir",
        )
        for p in sorted(folder.rglob("*"))
    }


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ck") / "lenet5.safetensors"
    result = CliRunner().invoke(
        cli,
        [
            "train",
            "--model",
            "lenet5",
            "--dataset",
            "digits",
            "--epochs",
            "1",
            "--limit",
            "100",
            "--val-chips",
            "0",
            "--output",
            str(path),
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    bad_input_cases.CHECKPOINT = path
    return path


def test_the_corpus_size() -> None:
    assert len(CASES) == 93
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input(
    case: Case, checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if case.name == "evaluate-device-cuda" and torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    monkeypatch.chdir(tmp_path)
    if case.setup is not None:
        case.setup(tmp_path)
    before = _snapshot(tmp_path)
    peak, start = _peak_rss_bytes(), time.monotonic()
    result = CliRunner().invoke(cli, list(case.args))
    elapsed = time.monotonic() - start
    lines = result.stderr.splitlines()
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit), result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert case.expect in lines[0]
    assert len(lines[0]) <= len("error: ") + MAX_ERROR_CHARS + 40  # the cut note included
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert _snapshot(tmp_path) == before  # nothing created or changed
    assert elapsed < TIME_BOUND_S
    assert _peak_rss_bytes() - peak < MEMORY_BOUND_BYTES


def test_a_second_sweep_on_a_locked_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    spec_file()(tmp_path)
    (tmp_path / "out").mkdir()
    with folder_lock(tmp_path / "out"):
        before = _snapshot(tmp_path)
        result = CliRunner().invoke(cli, ["pareto", "--spec", "spec.yaml", "--out", "out"])
        assert result.exit_code == 2
        assert result.stderr.splitlines() == [
            f"error: out is in use by a sweep running in process {os.getpid()}; wait for it to "
            "finish or give another --out"
        ]
        assert _snapshot(tmp_path) == before


def _archsim(*args: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    code = "from archsim.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        stderr=subprocess.PIPE,
        timeout=60,
        check=False,
        **kwargs,
    )  # type: ignore[call-overload]


def test_a_full_disk_on_stdout_fails_and_a_closed_pipe_is_quiet() -> None:
    with open("/dev/full", "wb") as full:
        result = _archsim("map", "--model", "lenet5", "--format", "json", stdout=full)
    assert result.returncode == 2
    assert result.stderr.decode().splitlines() == [
        "error: cannot write the output: No space left on device"
    ]
    piped = subprocess.run(
        f"{sys.executable} -c 'from archsim.cli import main; main()' hw show isaac | head -1",
        shell=True,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert piped.stdout.decode().startswith("# ")
    assert piped.stderr == b""  # no "error: Broken pipe"
