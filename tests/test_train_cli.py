"""`archsim train`: a real run on the digits, and one `error:` line with exit 2 on bad input."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archsim.checkpoint import load_checkpoint
from archsim.cli import cli

FAST = [
    "--limit",
    "128",
    "--val-limit",
    "60",
    "--batch-size",
    "64",
    "--val-chips",
    "1",
    "--no-progress",
]


def _run(args: list[str]):
    return CliRunner().invoke(cli, ["train", *args], catch_exceptions=False)


def test_trains_writes_a_loadable_checkpoint_and_reuses_it(tmp_path: Path) -> None:
    args = [
        "--method",
        "dropconnect",
        "--rate",
        "0.2",
        "--epochs",
        "2",
        "--recalibrate",
        "0,0.2",
        "--out",
        str(tmp_path),
        "--format",
        "json",
        *FAST,
    ]
    result = _run(args)
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)["rows"][0]
    path = tmp_path / "resnet20-w1-digits-dropconnect-r0.2.safetensors"
    assert row["checkpoint"] == str(path) and row["epochs"] == 2 and not row["cached"]
    _, meta, bn_sets = load_checkpoint(path)
    assert set(bn_sets) == {"dropconnect:0.0", "dropconnect:0.2"}
    assert meta["method"] == "dropconnect"
    assert meta["spec"]["epochs"] == 2 and len(meta["curves"]) == 2
    assert meta["provenance"]["seed"] == 0 and "git_commit" in meta["provenance"]
    assert "layer1.0.conv1" in meta["rram_layers"] and "conv1" in meta["rram_layers"]
    again = _run(args)
    assert json.loads(again.stdout)["rows"][0]["cached"] is True


def _bad(tmp_path: Path, args: list[str]) -> str:
    result = CliRunner().invoke(cli, ["train", *args, "--out", str(tmp_path), *FAST])
    assert result.exit_code == 2, result.output
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert not list(tmp_path.glob("*.safetensors"))
    return lines[0]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--method", "dropconnect", "--rate", "1.0"], r"rate must be in [0, 1)"),
        (["--method", "oneshot", "--rate", "-0.1"], r"rate must be in [0, 1)"),
        (["--method", "progressive", "--rates", "0.1,0.05"], "strictly ascending"),
        (["--method", "progressive"], "needs --rates"),
        (
            ["--method", "oneshot", "--rate", "0.1", "--from", "/no/such.safetensors"],
            "checkpoint not found",
        ),
        (["--dataset", "cifar10", "--data-dir", "/"], "cifar10"),
        (["--dataset", "imagenet"], "unknown dataset"),
        (["--model", "resnet7"], "unknown model"),
        (["--recalibrate", "0,x"], "--recalibrate must be comma-separated numbers"),
        (["--prune", "magnitude"], "--sparsity in (0, 1)"),
        (["--option", "shortcut=9x9"], "shortcut"),
    ],
)
def test_bad_input_is_one_error_line(tmp_path: Path, args: list[str], message: str) -> None:
    assert message in _bad(tmp_path, args)


def test_unknown_method_is_rejected_by_click(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["train", "--method", "magic"])
    assert result.exit_code == 2 and "magic" in result.output


def test_corrupt_from_checkpoint(tmp_path: Path) -> None:
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}garbage")
    line = _bad(tmp_path / "out", ["--method", "oneshot", "--rate", "0.1", "--from", str(bad)])
    assert str(bad) in line


def test_from_a_checkpoint_of_another_net(tmp_path: Path) -> None:
    ok = _run(["--epochs", "1", "--out", str(tmp_path), *FAST])
    assert ok.exit_code == 0, ok.output
    source = tmp_path / "resnet20-w1-digits-standard.safetensors"
    line = _bad(
        tmp_path / "out",
        ["--method", "oneshot", "--rate", "0.1", "--width", "0.5", "--from", str(source)],
    )
    assert "width 1.0" in line and "width 0.5" in line
