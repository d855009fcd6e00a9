"""A checkpoint never imports code by itself. Its metadata can be edited and re-checksummed by
anyone (the SHA-256 is unkeyed), so a user model it names (`os:abort`, `/abs/file.py:make`) is
never imported from it: every command that loads a checkpoint refuses such a one unless the
user names the model with `--model`, and then only code whose source digest matches.
A canary file that would leave a mark when imported or called shows nothing ran.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from torch import nn

from archsim.checkpoint import load_checkpoint, save_checkpoint
from archsim.cli import cli
from archsim.errors import UserError

CANARY = """\
from pathlib import Path
Path(__file__).with_suffix(".imported").write_text("imported")
from torch import nn


def make():
    Path(__file__).with_suffix(".called").write_text("called")
    return nn.Linear(64, 10)
"""


def _forged(folder: Path, net: str) -> Path:
    """A checkpoint with a valid checksum whose metadata names `net` (a small Linear's weights)."""
    meta = {
        "net": net,
        "width": 1.0,
        "num_classes": 10,
        "in_channels": 1,
        "input_shape": [1, 8, 8],
        "dataset": "digits",
        "method": "standard",
    }
    return save_checkpoint(folder / "sent.safetensors", nn.Linear(64, 10), meta)


def _canary(folder: Path) -> Path:
    path = folder / "canary.py"
    path.write_text(CANARY)
    return path


def _nothing_ran(canary: Path, modules_before: set[str]) -> None:
    assert not canary.with_suffix(".imported").exists()
    assert not canary.with_suffix(".called").exists()
    new = set(sys.modules) - modules_before
    assert not any("canary" in name or name.startswith("archsim_user_") for name in new), new


LOADERS = [
    ("evaluate", "--checkpoint", "{ck}", "--limit", "10", "--chips", "1"),
    ("recalibrate", "--checkpoint", "{ck}", "--rates", "0.1"),
    ("vulnerability", "--checkpoint", "{ck}", "--limit", "10", "--chips", "2"),
    ("tolerance", "--checkpoint", "{ck}", "--limit", "10", "--chips", "2"),
    ("faults", "export", "--checkpoint", "{ck}", "--output", "{out}"),
    ("train", "--model", "lenet5", "--from", "{ck}", "--epochs", "1", "--output", "{out}"),
]


@pytest.mark.parametrize("which", ["os:abort", "canary.py:make", "builtins:exit"])
@pytest.mark.parametrize("loader", LOADERS, ids=lambda args: args[0])
def test_no_command_imports_the_model_a_checkpoint_names(
    which: str, loader: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    modules = set(sys.modules)
    canary = _canary(tmp_path)
    net = str(canary) + ":make" if which.startswith("canary") else which
    checkpoint = _forged(tmp_path, net)
    before = checkpoint.read_bytes()
    args = [a.format(ck=checkpoint, out=tmp_path / "out.safetensors") for a in loader]
    result = CliRunner().invoke(cli, args)  # os:abort called here would kill the test run
    lines = result.stderr.splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "never runs code by itself" in lines[0]
    _nothing_ran(canary, modules)
    assert checkpoint.read_bytes() == before
    assert not (tmp_path / "out.safetensors").exists()


def test_the_library_refuses_too(tmp_path: Path) -> None:
    modules = set(sys.modules)
    canary = _canary(tmp_path)
    checkpoint = _forged(tmp_path, f"{canary}:make")
    with pytest.raises(UserError, match="never runs code by itself"):
        load_checkpoint(checkpoint)
    _nothing_ran(canary, modules)


def test_a_named_model_whose_source_differs_is_refused_before_import(tmp_path: Path) -> None:
    """The forged checkpoint records no digest of the canary, so naming the canary is refused
    too, before its file is imported."""
    modules = set(sys.modules)
    canary = _canary(tmp_path)
    checkpoint = _forged(tmp_path, f"{canary}:make")
    with pytest.raises(UserError, match="records no source digest"):
        load_checkpoint(checkpoint, model=f"{canary}:make")
    _nothing_ran(canary, modules)
    other = tmp_path / "other.py"
    other.write_text(CANARY.replace("Linear(64, 10)", "Linear(64, 10, bias=False)"))
    import hashlib

    from archsim.checkpoint import read_checkpoint, trusted_net

    meta = {**read_checkpoint(checkpoint).meta}
    meta["model_source"] = hashlib.sha256(canary.read_bytes()).hexdigest()
    with pytest.raises(UserError, match="is not the code"):
        trusted_net(checkpoint, meta, f"{other}:make")
    assert not other.with_suffix(".imported").exists()
    assert trusted_net(checkpoint, meta, f"{canary}:make") == f"{canary}:make"
    _nothing_ran(canary, modules)  # the digest is read from the file's bytes; nothing was imported


def test_a_zoo_checkpoint_needs_nothing(tmp_path: Path) -> None:
    from archsim.nets import get_net

    meta = {"net": "lenet5", "width": 1.0, "num_classes": 10, "in_channels": 1}
    path = save_checkpoint(tmp_path / "z.safetensors", get_net("lenet5", 1.0, 10, 1), meta)
    model, loaded, _ = load_checkpoint(path)
    assert loaded["net"] == "lenet5" and isinstance(model, nn.Module)
