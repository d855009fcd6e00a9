"""`archsim evaluate` end to end on the digits data, and its one-line errors (the rate-0,
two-stage, skip and plot cases: test_cli_evaluate_twostage.py)."""

import json
from pathlib import Path

import pytest
from cli_evaluate_support import META, checkpoint
from cli_evaluate_support import run_evaluate as _run
from cli_evaluate_support import trained_lenet as _trained_lenet

from archsim.api.mapping import balanced_point
from archsim.checkpoint import load_checkpoint, save_checkpoint
from archsim.config.hardware import load_hardware
from archsim.faults import FaultInjector, get_fault_model, save_fault_map
from archsim.faults.chip import ChipDrawer
from archsim.mapping.mapper import map_model
from archsim.nets import get_net

__all__ = ["checkpoint"]  # the module-scoped fixture, shared with the other evaluate tests


def test_json_rows_per_rate(checkpoint: Path) -> None:
    code, out = _run(
        "--checkpoint",
        str(checkpoint),
        "--fault-rate",
        "0,0.3",
        "--chips",
        "4",
        "--fault-model",
        "sft",
        "--format",
        "json",
        "--seed",
        "2",
    )
    assert code == 0, out
    payload = json.loads(out)
    zero, high = payload["rows"]
    # rate 0: every chip is fault-free, so one evaluation stands for the 4 (std 0)
    assert zero["rate"] == 0 and zero["mean"] == zero["quant_acc_train_bn"]
    assert zero["chips"] == 4 and zero["std"] == 0 and zero["ci_low"] == zero["ci_high"]
    assert (
        "rate 0: no chip has a fault, so 1 evaluation stands for the 4 chips" in (payload["notes"])
    )
    assert zero["float_acc_train_bn"] > 60  # the model learned the digits
    assert high["mean"] < zero["mean"] - 10  # 30% of weights stuck (mostly on) hurts
    assert payload["fault_model"] == "sft" and payload["model"] == "lenet5"
    assert payload["threshold"] == pytest.approx(zero["quant_acc_train_bn"] - 1)
    assert len(payload["per_chip"]["0.3"]) == 4
    again = json.loads(
        _run(
            "--checkpoint",
            str(checkpoint),
            "--fault-rate",
            "0,0.3",
            "--chips",
            "4",
            "--fault-model",
            "sft",
            "--format",
            "json",
            "--seed",
            "2",
        )[1]
    )
    assert again["per_chip"] == payload["per_chip"]


def test_default_checkpoint_lookup_and_csv(
    checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(checkpoint.parent.parent)  # models/lenet5-w1-digits-standard.safetensors
    code, out = _run(
        "--model",
        "lenet5",
        "--fault-rate",
        "0.05",
        "--chips",
        "2",
        "--fault-model",
        "cell-isaac",
        "--threshold",
        "50",
    )
    assert code == 0, out
    assert "granularity: cell" in out and "threshold: 50" in out
    code, out = _run("--model", "lenet5", "--fault-rate", "0.05", "--chips", "2", "--format", "csv")
    assert code == 0, out
    assert out.splitlines()[0].startswith("rate,bn_set,mean,std,ci_low,ci_high")
    assert len(out.splitlines()) == 2


def test_measured_fault_map(checkpoint: Path, tmp_path: Path) -> None:
    model = _trained_lenet()
    hw = load_hardware("isaac")  # evaluate faults every replica of the costed design point
    one_copy = map_model(model, (1, 8, 8), hw, model_name="lenet5")
    mapping = balanced_point(model, one_copy, hw)
    inj = FaultInjector(model, mapping)
    chip = ChipDrawer(inj.sites, get_fault_model("cell-isaac")).draw(0.01, 0, 0)
    path = save_fault_map(tmp_path / "chip.safetensors", chip, mapping)
    code, out = _run("--checkpoint", str(checkpoint), "--fault-map", str(path), "--format", "json")
    assert code == 0, out
    row = json.loads(out)["rows"][0]
    assert row["chips"] == 1 and row["faulty_fraction"] == pytest.approx(chip.faulty_fraction())
    other = ChipDrawer(inj.sites[:1], get_fault_model("sft")).draw(0.01, 0, 0)
    bad = save_fault_map(tmp_path / "other.safetensors", other, mapping)
    code, out = _run("--checkpoint", str(checkpoint), "--fault-map", str(bad))
    assert code == 2 and out.startswith("error: fault map") and out.count("\n") == 1


def _one_line_error(code: int, out: str, *fragments: str) -> None:
    assert code == 2, out
    assert out.startswith("error: ") and out.count("\n") == 1, out
    for fragment in fragments:
        assert fragment in out, out


def test_bad_inputs_are_one_line_errors(
    checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ck = ["--checkpoint", str(checkpoint)]
    _one_line_error(*_run(*ck, "--fault-rate", "0.1,1.5"), "fault rate must be in [0, 1]")
    _one_line_error(*_run(*ck, "--fault-rate", "-0.1"), "fault rate")
    _one_line_error(*_run(*ck, "--fault-rate", "abc"), "fault rate")
    _one_line_error(*_run(*ck, "--fault-model", "bogus"), "presets: dropconnect, sft")
    _one_line_error(*_run(*ck, "--chips", "0"), "--chips must be >= 1")
    _one_line_error(*_run(*ck, "--adaptive", "-1"), "--adaptive")
    _one_line_error(*_run("--model", "lenet5"), "archsim train --model lenet5")
    _one_line_error(*_run("--fault-rate", "0.1"), "--checkpoint PATH or --model NAME")
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(checkpoint.read_bytes()[:-64])
    _one_line_error(*_run("--checkpoint", str(corrupt)), "not a readable safetensors")
    other = tmp_path / "other.safetensors"
    save_checkpoint(other, get_net("lenet5", 1.0, 10, 1), {**META, "net": "minimobilenet"})
    _one_line_error(*_run("--checkpoint", str(other)), "does not fit minimobilenet")
    _one_line_error(*_run(*ck, "--model", "resnet20"), "not a resnet20")
    wrong_data = tmp_path / "cifar.safetensors"
    save_checkpoint(wrong_data, get_net("lenet5", 1.0, 10, 3), {**META, "in_channels": 3})
    _one_line_error(*_run("--checkpoint", str(wrong_data), "--dataset", "digits"), "channels")


def test_default_placement_is_the_checkpoints(checkpoint: Path, tmp_path: Path) -> None:
    placed = tmp_path / "ends.safetensors"  # trained with first/last layers and fc2 on CPU
    model, _, _ = load_checkpoint(checkpoint)
    save_checkpoint(placed, model, {**META, "policy": "cpu-1x1-ends", "overrides": ["fc2=cpu"]})
    common = ("--fault-rate", "0.3", "--chips", "3", "--fault-model", "sft", "--format", "json")

    def run(*args: str) -> dict:
        code, out = _run("--checkpoint", str(placed), *common, *args)
        assert code == 0, out
        rows = json.loads(out)
        kept = [n for n in rows.pop("notes", "").split("; ") if n]
        notes = "; ".join(n for n in kept if not n.startswith("every replica faulted"))
        return {**rows, "notes": notes} if notes else rows

    default = run()
    assert default["policy"] == "cpu-1x1-ends fc2=cpu" and "notes" not in default
    same = run("--policy", "cpu-1x1-ends", "--override", "fc2=cpu")
    assert same["per_chip"] == default["per_chip"] and "notes" not in same
    other = run("--policy", "cpu-1x1")
    assert other["policy"] == "cpu-1x1"
    assert (
        "differs from the checkpoint's training placement cpu-1x1-ends fc2=cpu" in (other["notes"])
    )
    assert other["per_chip"] != default["per_chip"]  # faults on conv1, fc2, fc3 too
    extra = run("--override", "conv2=cpu")
    assert extra["policy"] == "cpu-1x1-ends fc2=cpu conv2=cpu" and "notes" not in extra
    assert extra["per_chip"] != default["per_chip"]
    old = json.loads(_run("--checkpoint", str(checkpoint), *common)[1])  # no policy stored
    assert old["policy"] == "cpu-1x1" and old["per_chip"] == other["per_chip"]
    _one_line_error(
        *_run("--checkpoint", str(placed), "--override", "nope=cpu"),
        "override nope=cpu matches no conv or linear layer",
    )
    _one_line_error(*_run("--checkpoint", str(placed), "--override", "fc1"), "NAME=TARGET")


def test_bn_sets_can_be_left_out(tmp_path: Path) -> None:
    model = get_net("minimobilenet", 1.0, 10, 1, seed=0, blocks=1).eval()
    stats = {
        name: t.clone() + 1.0
        for name, t in model.state_dict().items()
        if name.endswith(("running_mean", "running_var"))
    }
    path = tmp_path / "bn.safetensors"
    save_checkpoint(
        path,
        model,
        {**META, "net": "minimobilenet", "options": {"blocks": 1}},
        bn_sets={"dropconnect:0.1": stats},
    )
    args = ("--checkpoint", str(path), "--fault-rate", "0.1", "--chips", "2", "--format", "json")
    code, out = _run(*args)
    assert code == 0, out
    with_sets = json.loads(out)
    assert with_sets["rows"][0]["bn_set"] == "dropconnect:0.1"
    assert "BatchNorm" not in with_sets.get("notes", "")
    code, out = _run(*args, "--no-bn-sets")
    assert code == 0, out
    without = json.loads(out)
    assert without["rows"][0]["bn_set"] == "training"
    assert "recalibrated BatchNorm sets (dropconnect:0.1) not used" in without["notes"]
    assert without["per_chip"] != with_sets["per_chip"]  # the statistics were swapped in


def test_a_stuck_on_off_evaluation_never_uses_a_zero_fault_set(tmp_path: Path) -> None:
    # A checkpoint written before sets were keyed by fault model: bare rates, recalibrated
    # under its training fault model, dropconnect (faulty weights read 0).
    model = get_net("minimobilenet", 1.0, 10, 1, seed=0, blocks=1).eval()
    stats = {
        name: t.clone() + 1.0
        for name, t in model.state_dict().items()
        if name.endswith(("running_mean", "running_var"))
    }
    path = tmp_path / "legacy.safetensors"
    save_checkpoint(
        path,
        model,
        {**META, "net": "minimobilenet", "options": {"blocks": 1}, "fault_model": "dropconnect"},
        bn_sets={"0.0": stats, "0.05": stats, "0.1": stats},
    )
    common = ("--checkpoint", str(path), "--chips", "2", "--format", "json")
    code, out = _run(*common, "--fault-rate", "0,0.05,0.1", "--fault-model", "sft")
    assert code == 0, out
    sft = json.loads(out)
    # rate 0 draws no fault under any model, so the rate-0 set is the right one there; the
    # others have no sft set, so the rule recalibrates them on the fly and says so
    assert [r["bn_set"] for r in sft["rows"]] == [
        "dropconnect:0.0",
        "sft:0.05 (on the fly)",
        "sft:0.1 (on the fly)",
    ]
    assert "no BatchNorm set for sft at rate 0.05 in the checkpoint: recalibrated" in sft["notes"]
    # isaac folds BN into the convs: stuck-on faults on unfolded weights are said to differ
    assert "BatchNorm: the chip folds it into the conv weights; sft faults" in sft["notes"]
    code, out = _run(*common, "--fault-rate", "0.05")  # default: the checkpoint's dropconnect
    assert code == 0, out
    zeroed = json.loads(out)
    assert zeroed["rows"][0]["bn_set"] == "dropconnect:0.05"
    assert "folds it" not in zeroed.get("notes", "")  # a zeroed weight is exact either way
