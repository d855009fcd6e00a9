"""Every in-place write is locked: two `archsim recalibrate` runs on one checkpoint never lose
one's sets (the second is refused naming the holder, or both sets are there)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from archsim.atomic import atomic_write_text, locked_update
from archsim.checkpoint import read_checkpoint
from archsim.cli import cli
from archsim.errors import UserError


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("locks") / "lenet5.safetensors"
    args = ["train", "--model", "lenet5", "--epochs", "1", "--limit", "64", "--val-chips", "0"]
    result = CliRunner().invoke(cli, [*args, "--output", str(path), "--no-progress"])
    assert result.exit_code == 0, result.output
    return path


def test_a_held_checkpoint_is_refused_naming_the_holder(checkpoint: Path) -> None:
    before = checkpoint.read_bytes()
    with locked_update(checkpoint, "checkpoint"):
        result = CliRunner().invoke(
            cli,
            ["recalibrate", "--checkpoint", str(checkpoint), "--rates", "0.1", "--batches", "1"],
        )
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: checkpoint {checkpoint} is being updated by process {os.getpid()}; "
        "wait for it to finish"
    ]
    assert checkpoint.read_bytes() == before
    assert sorted(p.name for p in checkpoint.parent.iterdir()) == [checkpoint.name]


def test_the_lock_follows_an_atomic_replacement(tmp_path: Path) -> None:
    """Until the holder's write, a second update is refused; the write replaces the file's
    inode, so an update after it locks the new file and reads what the holder wrote."""
    path = tmp_path / "f.txt"
    path.write_text("0")
    with locked_update(path, "file"):
        with (
            pytest.raises(UserError, match="is being updated by process"),
            locked_update(path, "file"),
        ):
            pass  # pragma: no cover - refused
        atomic_write_text(path, "1")  # the holder's last step
        with locked_update(path, "file"):
            assert path.read_text() == "1"
            atomic_write_text(path, "2")
    assert path.read_text() == "2"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]  # no lock or holder file left


def _recalibrate(checkpoint: Path, rate: str) -> subprocess.Popen[bytes]:
    code = "from archsim.cli import main; main()"
    args = ["recalibrate", "--checkpoint", str(checkpoint), "--rates", rate, "--batches", "1"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args, "--threads", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )


def _stderr(run: subprocess.Popen[bytes]) -> str:
    assert run.stderr is not None
    lines = run.stderr.read().decode().splitlines()
    return "\n".join(line for line in lines if "warning: load average" not in line) + "\n"


@pytest.mark.slow
def test_two_concurrent_recalibrations_lose_nothing(checkpoint: Path, tmp_path: Path) -> None:
    copy = tmp_path / "ck.safetensors"
    copy.write_bytes(checkpoint.read_bytes())
    runs = {rate: _recalibrate(copy, rate) for rate in ("0.2", "0.3")}
    outcomes = {rate: (run.wait(timeout=300), _stderr(run)) for rate, run in runs.items()}
    meta = read_checkpoint(copy).meta
    sets = " ".join(meta["bn_sets"])  # LeNet-5 has no BatchNorm: its sets are named, not held
    recorded = {str(r) for record in meta.get("recalibrations", []) for r in record["rates"]}
    assert recorded == {s.split(":")[1] for s in meta["bn_sets"]}  # every run that wrote is kept
    codes = sorted(code for code, _ in outcomes.values())
    if codes == [0, 0]:
        assert "0.2" in sets and "0.3" in sets  # one ran after the other: both sets present
    else:
        assert codes == [0, 2], outcomes
        refused = next(rate for rate, (code, _) in outcomes.items() if code == 2)
        kept = "0.3" if refused == "0.2" else "0.2"
        assert "is being updated by process" in outcomes[refused][1]
        assert outcomes[refused][1].count("\n") == 1  # one error line
        assert kept in sets and refused not in sets  # what was said is what holds


def test_a_held_fault_map_is_not_replaced(checkpoint: Path, tmp_path: Path) -> None:
    """Defect maps are written under the same lock: a second writer of one file is refused."""
    target = tmp_path / "chip.npz"
    args = ["faults", "export", "--checkpoint", str(checkpoint), "--output", str(target)]
    assert CliRunner().invoke(cli, args).exit_code == 0
    before = target.read_bytes()
    with locked_update(target, "fault map"):
        result = CliRunner().invoke(cli, [*args, "--chip", "1"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: fault map {target} is being updated by process {os.getpid()}; "
        "wait for it to finish"
    ]
    assert target.read_bytes() == before
