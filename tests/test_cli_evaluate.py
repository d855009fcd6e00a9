"""`archsim evaluate` end to end on the digits data, and its one-line errors."""

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from faults_support import digits

from archsim.checkpoint import save_checkpoint
from archsim.cli import cli
from archsim.faults import FaultInjector, get_fault_model, save_fault_map
from archsim.faults.chip import ChipDrawer
from archsim.mapping.mapper import map_model
from archsim.nets import get_net

META = {"net": "lenet5", "width": 1.0, "num_classes": 10, "in_channels": 1, "dataset": "digits",
        "method": "standard", "seed": 0}


def _trained_lenet() -> torch.nn.Module:
    images, labels, _, _ = digits()
    model = get_net("lenet5", 1.0, 10, 1, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    gen = torch.Generator().manual_seed(0)
    for _ in range(60):
        idx = torch.randint(0, len(images), (128,), generator=gen)
        loss = torch.nn.functional.cross_entropy(model(images[idx]), labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("eval")
    path = root / "models" / "lenet5-w1-digits-standard.safetensors"
    model = _trained_lenet()
    save_checkpoint(path, model, META)
    return path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["evaluate", "--no-progress", *args])
    return result.exit_code, result.output


def test_json_rows_per_rate(checkpoint: Path) -> None:
    code, out = _run("--checkpoint", str(checkpoint), "--fault-rate", "0,0.3", "--chips", "4",
                     "--fault-model", "sft", "--format", "json", "--seed", "2")
    assert code == 0, out
    payload = json.loads(out)
    zero, high = payload["rows"]
    assert zero["rate"] == 0 and zero["mean"] == zero["quant_acc"] and zero["chips"] == 4
    assert zero["float_acc"] > 60  # the model learned the digits
    assert high["mean"] < zero["mean"] - 10  # 30% of weights stuck (mostly on) hurts
    assert payload["fault_model"] == "sft" and payload["model"] == "lenet5"
    assert payload["threshold"] == pytest.approx(zero["quant_acc"] - 1)
    assert len(payload["per_chip"]["0.3"]) == 4
    again = json.loads(_run("--checkpoint", str(checkpoint), "--fault-rate", "0,0.3", "--chips",
                            "4", "--fault-model", "sft", "--format", "json", "--seed", "2")[1])
    assert again["per_chip"] == payload["per_chip"]


def test_default_checkpoint_lookup_and_csv(checkpoint: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(checkpoint.parent.parent)  # models/lenet5-w1-digits-standard.safetensors
    code, out = _run("--model", "lenet5", "--fault-rate", "0.05", "--chips", "2",
                     "--fault-model", "cell-isaac", "--threshold", "50")
    assert code == 0, out
    assert "granularity: cell" in out and "threshold: 50" in out
    code, out = _run("--model", "lenet5", "--fault-rate", "0.05", "--chips", "2", "--format",
                     "csv")
    assert code == 0, out
    assert out.splitlines()[0].startswith("rate,float_acc,quant_acc,mean,std,ci_low,ci_high")
    assert len(out.splitlines()) == 2


def test_measured_fault_map(checkpoint: Path, tmp_path: Path) -> None:
    model = _trained_lenet()
    mapping = map_model(model, (1, 8, 8), "isaac", model_name="lenet5")
    inj = FaultInjector(model, mapping)
    chip = ChipDrawer(inj.sites, get_fault_model("cell-isaac")).draw(0.01, 0, 0)
    path = save_fault_map(tmp_path / "chip.safetensors", chip, mapping)
    code, out = _run("--checkpoint", str(checkpoint), "--fault-map", str(path), "--format",
                     "json")
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


def test_bad_inputs_are_one_line_errors(checkpoint: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
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
