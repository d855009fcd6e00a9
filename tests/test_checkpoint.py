"""Checkpoints: one safetensors file, round trip, provenance, and one-line errors."""

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from archsim import __version__
from archsim.checkpoint import (
    default_checkpoint_path,
    load_checkpoint,
    read_checkpoint,
    save_checkpoint,
)
from archsim.errors import UserError
from archsim.faults import bn_set_key
from archsim.nets import get_net

META = {
    "net": "lenet5",
    "width": 1.0,
    "num_classes": 10,
    "in_channels": 1,
    "input_shape": [1, 28, 28],
    "dataset": "fashion-mnist",
    "method": "standard",
    "rates": [0.1],
    "curves": {"loss": [2.3, 1.1]},
    "seed": 7,
    "options": {},
}


def _saved(tmp_path: Path, **kw: object) -> tuple[torch.nn.Module, Path]:
    model = get_net("lenet5", 1.0, 10, 1, seed=3)
    path = tmp_path / "m.safetensors"
    save_checkpoint(path, model, {**META, **kw})  # type: ignore[arg-type]
    return model, path


def test_round_trip_with_bn_sets_extra_and_provenance(tmp_path: Path) -> None:
    model = get_net("resnet20", 1.0, 10, 3, seed=1)
    bn = {
        bn_set_key("sft", 0.1): {
            "bn1.running_mean": torch.full((16,), 0.5),
            "bn1.running_var": torch.full((16,), 2.0),
        }
    }
    path = save_checkpoint(
        tmp_path / "models" / "r.safetensors",
        model,
        {**META, "net": "resnet20", "in_channels": 3},
        bn,
        extra={"optimizer.momentum.conv1.weight": torch.ones(3)},
    )
    loaded, meta, bn_sets = load_checkpoint(path)
    original, back = model.state_dict(), loaded.state_dict()
    assert original.keys() == back.keys()
    assert all(torch.equal(original[k], back[k]) for k in original)
    assert not loaded.training
    assert meta["curves"] == {"loss": [2.3, 1.1]} and meta["method"] == "standard"
    prov = meta["provenance"]
    assert prov["archsim_version"] == __version__ and prov["seed"] == 7
    assert "git_commit" in prov and prov["created"].endswith("+00:00")
    assert set(bn_sets) == {"sft:0.1"}
    assert torch.equal(bn_sets["sft:0.1"]["bn1.running_var"], torch.full((16,), 2.0))
    with safe_open(str(path), framework="pt") as f:
        keys = set(f.keys())
        assert json.loads(f.metadata()["archsim.checkpoint"])["net"] == "resnet20"
    assert {"bn@sft:0.1/bn1.running_mean", "extra/optimizer.momentum.conv1.weight"} <= keys
    data = read_checkpoint(path)
    assert torch.equal(data.extra["optimizer.momentum.conv1.weight"], torch.ones(3))
    assert not any(k.startswith(("bn@", "extra/")) for k in data.state)
    assert not list(path.parent.glob(".*.tmp"))


def test_default_path() -> None:
    assert default_checkpoint_path("resnet20", 1.2, "fashion-mnist") == Path(
        "models/resnet20-w1.2-fashion-mnist-standard.safetensors"
    )
    assert default_checkpoint_path("vgg13", 1.0, "digits", "dropconnect", "out").name == (
        "vgg13-w1-digits-dropconnect.safetensors"
    )


def test_missing_required_metadata_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="num_classes"):
        save_checkpoint(
            tmp_path / "x.safetensors", get_net("lenet5"), {"net": "lenet5", "width": 1.0}
        )
    assert not list(tmp_path.iterdir())


def test_corrupt_and_foreign_files_are_one_line_user_errors(tmp_path: Path) -> None:
    _, path = _saved(tmp_path)
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 0xFF  # flip bits inside the tensor data, header intact
    damaged = tmp_path / "damaged.safetensors"
    damaged.write_bytes(bytes(raw))
    with pytest.raises(UserError, match="corrupt"):
        load_checkpoint(damaged)
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(UserError, match="not a readable safetensors file"):
        load_checkpoint(truncated)
    text = tmp_path / "notes.safetensors"
    text.write_text("hello")
    with pytest.raises(UserError, match="not a readable"):
        load_checkpoint(text)
    plain = tmp_path / "plain.safetensors"
    save_file({"w": torch.zeros(2)}, str(plain))
    with pytest.raises(UserError, match="not an archsim checkpoint"):
        load_checkpoint(plain)
    with pytest.raises(UserError, match="not found"):
        load_checkpoint(tmp_path / "absent.safetensors")
    for error in (damaged, truncated, text, plain):
        try:
            load_checkpoint(error)
        except UserError as exc:
            assert "\n" not in str(exc)


def test_weights_of_another_architecture_are_refused(tmp_path: Path) -> None:
    model = get_net("lenet5", 1.0, 10, 1)
    path = tmp_path / "liar.safetensors"
    save_checkpoint(path, model, {**META, "net": "resnet20"})
    with pytest.raises(UserError, match=r"does not fit resnet20 width 1\.0: missing"):
        load_checkpoint(path)
    wide = tmp_path / "wide.safetensors"
    save_checkpoint(wide, get_net("resnet20", 1.2, 10, 1), {**META, "net": "resnet20"})
    with pytest.raises(UserError, match=r"does not fit resnet20 width 1.0: .* is \("):
        load_checkpoint(wide)


def test_a_full_disk_while_saving_is_one_error_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safetensors import SafetensorError

    import archsim.checkpoint as ck

    def full(*args: object, **kwargs: object) -> None:
        raise SafetensorError("Error while serializing: IoError(No space left on device)")

    monkeypatch.setattr(ck, "save_file", full)
    model = torch.nn.Linear(2, 2)
    with pytest.raises(UserError, match=r"cannot write checkpoint .*No space left on device"):
        ck.save_checkpoint(tmp_path / "m.safetensors", model, dict(META))
    assert list(tmp_path.iterdir()) == []
