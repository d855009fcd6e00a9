"""The experimenter's path: `archsim train` says what it used and logs its epochs, `archsim
recalibrate` makes the sets training makes, and `archsim evaluate` follows the checkpoint."""

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner, Result

from archsim.checkpoint import load_checkpoint, read_checkpoint
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
    "--epochs",
    "2",
    "--no-progress",
]


def _cli(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """ResNet-20 on 128 digits, trained for 8-bit 1-cell hardware, recalibrated at 0, 0.2."""
    out = tmp_path_factory.mktemp("trained")
    result = _cli(
        "train",
        "--method",
        "dropconnect",
        "--rate",
        "0.2",
        "--recalibrate",
        "0,0.2",
        "--hw",
        "isaac-8bit-1cell",
        "--out",
        str(out),
        *FAST,
    )
    assert result.exit_code == 0, result.output
    return out / "resnet20-w1-digits-dropconnect-r0.2.safetensors", result


def test_train_says_card_options_and_hardware_and_logs_epochs(trained: tuple[Path, Result]) -> None:
    _, result = trained
    assert "card: resnet20-digits" in result.stdout and "options: shortcut=A" in result.stdout
    assert "hardware: isaac-8bit-1cell" in result.stdout
    epochs = [line for line in result.stderr.splitlines() if " epoch " in line]
    assert len(epochs) == 2 and "epoch 2/2" in epochs[1]  # --no-progress still logs epochs
    assert all(
        " loss " in e and " val " in e and "chips@0.2" in e and e.endswith("s)") for e in epochs
    )
    assert "recalibrated BatchNorm for dropconnect at rate 0.2 over 2 of 2 batches" in (
        result.stderr
    )


def test_evaluation_defaults_to_the_checkpoints_hardware(trained: tuple[Path, Result]) -> None:
    path, _ = trained
    common = (
        "evaluate",
        "--checkpoint",
        str(path),
        "--fault-rate",
        "0.2",
        "--chips",
        "2",
        "--no-progress",
        "--format",
        "json",
    )
    default = _cli(*common)
    assert default.exit_code == 0, default.output
    payload = json.loads(default.stdout)
    assert payload["hardware"] == "isaac-8bit-1cell" and payload["weight_bits"] == 8
    assert payload["fault_model"] == "dropconnect"  # the checkpoint's, too
    assert payload["rows"][0]["bn_set"] == "dropconnect:0.2"
    other = json.loads(_cli(*common, "--hw", "isaac").stdout)
    assert other["weight_bits"] == 16
    assert "hardware isaac differs from the checkpoint's isaac-8bit-1cell" in other["notes"]


def test_recalibrate_gives_the_sets_training_made(
    trained: tuple[Path, Result], tmp_path: Path
) -> None:
    path, _ = trained
    copy = tmp_path / "again.safetensors"
    result = _cli(
        "recalibrate",
        "--checkpoint",
        str(path),
        "--rates",
        "0.2,0",
        "--output",
        str(copy),
        "--no-progress",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert [(r["bn_set"], r["batches"], r["images"]) for r in rows] == [
        ("dropconnect:0.0", 2, 128),
        ("dropconnect:0.2", 2, 128),
    ]  # 128 images / 64 a batch
    _, _, made_in_training = load_checkpoint(path)
    _, _, made_here = load_checkpoint(copy)
    assert made_here.keys() == made_in_training.keys()
    for key, stats in made_in_training.items():
        assert all(torch.equal(stats[n], made_here[key][n]) for n in stats)  # bit for bit
    # another fault model joins the sets; one batch only; the original file is untouched
    more = _cli(
        "recalibrate",
        "--checkpoint",
        str(copy),
        "--rates",
        "0.1",
        "--fault-model",
        "sft",
        "--batches",
        "1",
        "--no-progress",
        "--format",
        "json",
    )
    assert more.exit_code == 0, more.output
    assert json.loads(more.stdout)["rows"][0]["images"] == 64
    meta = read_checkpoint(copy).meta
    assert meta["bn_sets"] == ["dropconnect:0.0", "dropconnect:0.2", "sft:0.1"]
    assert [r["fault_model"] for r in meta["recalibrations"]] == [
        "dropconnect",
        "dropconnect",
        "sft",
    ]
    assert set(load_checkpoint(path)[2]) == {"dropconnect:0.0", "dropconnect:0.2"}
    bad = _cli("recalibrate", "--checkpoint", str(copy), "--rates", "0.1", "--batches", "3")
    assert bad.exit_code == 2 and bad.output.startswith(
        "error: recalibration batches must be in [1, 2]"
    )


def test_adding_recalibrate_to_a_finished_run_does_not_retrain(
    trained: tuple[Path, Result], tmp_path: Path
) -> None:
    path, _ = trained
    local = tmp_path / path.name
    local.write_bytes(path.read_bytes())
    before = read_checkpoint(local)
    result = _cli(
        "train",
        "--method",
        "dropconnect",
        "--rate",
        "0.2",
        "--recalibrate",
        "0,0.1,0.2",
        "--hw",
        "isaac-8bit-1cell",
        "--out",
        str(tmp_path),
        *FAST,
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)["rows"][0]
    assert row["cached"] is True and " epoch " not in result.stderr
    assert row["bn_sets"] == "dropconnect:0.0,dropconnect:0.1,dropconnect:0.2"
    after = read_checkpoint(local)
    assert all(torch.equal(before.state[k], after.state[k]) for k in before.state)


def test_a_checkpoint_edited_or_asked_for_as_something_else_is_refused(
    trained: tuple[Path, Result], tmp_path: Path
) -> None:
    path, _ = trained
    raw = path.read_bytes()
    edited = tmp_path / "edited.safetensors"
    field = b'\\"dataset\\": \\"digits\\"'  # inside the header's JSON string
    assert field in raw  # the top-level key comes first (sorted keys): edit that one
    edited.write_bytes(raw.replace(field, field.replace(b"digits", b"mnist!"), 1))
    for args, message in (
        (("--checkpoint", str(edited)), "corrupt or edited"),
        (("--checkpoint", str(path), "--width", "2"), "holds resnet20 width 1, not width 2"),
        (("--checkpoint", str(path), "--model", "lenet5"), "holds a resnet20, not a lenet5"),
        (("--checkpoint", str(path), "--dataset", "fashion-mnist"), "1x8x8 images"),
    ):
        result = _cli("evaluate", *args, "--fault-rate", "0.1", "--chips", "1", "--no-progress")
        lines = result.output.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1, result.output
        assert lines[0].startswith("error: ") and message in lines[0], lines[0]


def test_padding_set_in_training_is_followed_by_evaluation(tmp_path: Path) -> None:
    result = _cli(
        "train",
        "--pad-to",
        "12",
        "--limit",
        "64",
        "--val-limit",
        "30",
        "--batch-size",
        "32",
        "--val-chips",
        "0",
        "--epochs",
        "1",
        "--no-progress",
        "--out",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    assert "input: pad to 12x12" in result.stdout
    path = tmp_path / "resnet20-w1-digits-standard.safetensors"
    assert read_checkpoint(path).meta["input_shape"] == [1, 12, 12]
    evaluated = _cli(
        "evaluate",
        "--checkpoint",
        str(path),
        "--fault-rate",
        "0.1",
        "--chips",
        "1",
        "--limit",
        "20",
        "--subset-seed",
        "1",
        "--no-progress",
        "--format",
        "json",
    )
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads(evaluated.stdout)["input"] == "1x12x12, padded to 12x12"


def _json(*args: str) -> dict:
    result = _cli(*args, "--no-progress", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.slow
def test_one_batchnorm_rule_for_evaluate_and_tolerance(
    trained: tuple[Path, Result], tmp_path: Path
) -> None:
    """The checkpoint holds dropconnect sets at 0 and 0.2. At 0.2 both commands use that set;
    at 0.1 (no set) both recalibrate on the fly with the checkpoint's settings and say so,
    and that set is the one `archsim recalibrate --rates 0.1` writes. `tolerance`'s `none`
    is `evaluate` on the same chips and images, chip for chip; `remap` has its own set."""
    path, _ = trained
    common = ("--chips", "3", "--limit", "100")
    for rate, name in (("0.2", "dropconnect:0.2"), ("0.1", "dropconnect:0.1 (on the fly)")):
        ev = _json("evaluate", "--checkpoint", str(path), "--fault-rate", rate, *common)
        tol = _json("tolerance", "--checkpoint", f"a={path}", "--technique", "none,remap",
                    "--fault-rate", rate, *common)  # fmt: skip
        none, remap = tol["rows"]
        assert ev["rows"][0]["bn_set"] == none["bn_set"] == name
        # remapped chips: a set recalibrated on remapped chips, the same way
        assert remap["bn_set"] == f"dropconnect:{rate}+remap (on the fly)"
        assert none["mean"] == ev["rows"][0]["mean"]
        assert none["per_chip"] == ev["per_chip"][rate]
    assert "recalibrated on the fly" in ev["notes"]
    # the on-the-fly set is the stored one `archsim recalibrate` makes with the same settings
    stored = tmp_path / "with-0.1.safetensors"
    _json("recalibrate", "--checkpoint", str(path), "--rates", "0.1", "--output", str(stored))
    again = _json("evaluate", "--checkpoint", str(stored), "--fault-rate", "0.1", *common)
    assert again["rows"][0]["bn_set"] == "dropconnect:0.1"
    assert again["per_chip"] == ev["per_chip"]  # both {"0.1": [...]}
    # --no-bn-sets: training's statistics, named so
    plain = _json("evaluate", "--checkpoint", str(path), "--fault-rate", "0.1", "--no-bn-sets",
                  *common)  # fmt: skip
    assert plain["rows"][0]["bn_set"] == "training"
    bare = _json("tolerance", "--checkpoint", str(path), "--technique", "none", "--fault-rate",
                 "0.1", "--no-bn-sets", *common)  # fmt: skip
    assert bare["rows"][0]["bn_set"] == "training"
    assert bare["rows"][0]["per_chip"] == plain["per_chip"]["0.1"]
    assert "note" not in tol  # no row is scored with statistics made for other chips
