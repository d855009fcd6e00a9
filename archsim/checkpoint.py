"""Checkpoints: ONE `.safetensors` file with weights, buffers, recalibrated BatchNorm sets and
JSON metadata, written atomically and read back without unpickling anything.

Tensor keys: the model's `state_dict()` names as they are; BatchNorm sets recalibrated per
fault rate as `bn@<rate key>/<buffer name>` (e.g. `bn@0.1/layer1.0.bn1.running_mean`, rate keys
from `archsim.faults.bnsets.bn_set_key`); free extra tensors (optimizer state, generator state
for resuming) as `extra/<name>`. The header's metadata key `archsim.checkpoint` holds JSON:
the caller's `meta` (required: net, width, num_classes, in_channels; usual: options,
input_shape, dataset, method, rates, curves, seed) plus `provenance` (archsim version, git
commit, created time, seed) and a SHA-256 of the tensor bytes and of that JSON (all of it but
the checksum itself), so silent damage or an edit of either (e.g. its `dataset` or `method`)
is refused. The required fields are type-checked on reading.
"""

import datetime
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import Tensor, nn

from archsim import __version__
from archsim.atomic import atomic_write
from archsim.errors import UserError
from archsim.source import git_commit

META_KEY = "archsim.checkpoint"
FORMAT = "archsim-checkpoint"
REQUIRED = ("net", "width", "num_classes", "in_channels")
BN_PREFIX, EXTRA_PREFIX = "bn@", "extra/"


def default_checkpoint_path(
    net: str, width: float, dataset: str, method: str = "standard", root: str | Path = "models"
) -> Path:
    """Where `archsim train` writes and `archsim evaluate --model` looks by default (a user
    model, `file.py:factory`, is named `file-factory`)."""
    from archsim.nets.user import is_user_spec, path_label

    label = path_label(net) if is_user_spec(net) else net
    return Path(root) / f"{label}-w{width:g}-{dataset}-{method}.safetensors"


def provenance(seed: int | None = None) -> dict[str, Any]:
    return {
        "archsim_version": __version__,
        "git_commit": git_commit(),
        "seed": seed,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def _canonical(meta: dict[str, Any]) -> str:
    """The metadata as the checksum sees it: JSON with sorted keys, without the checksum."""
    return json.dumps(
        {k: v for k, v in meta.items() if k != "sha256"}, sort_keys=True, default=float
    )


def _digest(tensors: dict[str, Tensor], meta: dict[str, Any]) -> str:
    h = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name]
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)};".encode())
        h.update(t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    h.update(b"meta:" + _canonical(meta).encode())
    return h.hexdigest()


def _cpu(t: Tensor) -> Tensor:
    return t.detach().to("cpu").contiguous().clone()


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    meta: dict[str, Any],
    bn_sets: dict[str, dict[str, Tensor]] | None = None,
    extra: dict[str, Tensor] | None = None,
) -> Path:
    """Write model weights + buffers, BN sets, extra tensors and metadata to `path` atomically."""
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise ValueError(f"checkpoint metadata needs {', '.join(missing)}")
    tensors = {name: _cpu(t) for name, t in model.state_dict().items()}
    for key, stats in (bn_sets or {}).items():
        if "/" in key:
            raise ValueError(f"BatchNorm set key must not contain '/': {key!r}")
        tensors.update({f"{BN_PREFIX}{key}/{name}": _cpu(t) for name, t in stats.items()})
    tensors.update({f"{EXTRA_PREFIX}{name}": _cpu(t) for name, t in (extra or {}).items()})
    full = {
        **{k: v for k, v in meta.items() if k != "sha256"},
        "format": FORMAT,
        "provenance": {**provenance(meta.get("seed")), **meta.get("provenance", {})},
    }
    full = json.loads(_canonical(full))  # what a reader will see: tuples as lists, ...
    full["sha256"] = _digest(tensors, full)
    header = {META_KEY: json.dumps(full, default=float)}

    def write(tmp: Path) -> None:
        try:
            save_file(tensors, str(tmp), metadata=header)
        except SafetensorError as exc:  # a full disk arrives as this, not as an OSError
            raise UserError(f"cannot write checkpoint {path}: {exc}") from None

    return atomic_write(path, write)


@dataclass(frozen=True)
class CheckpointData:
    """A checkpoint's contents before a model is built from them."""

    meta: dict[str, Any]
    state: dict[str, Tensor]
    bn_sets: dict[str, dict[str, Tensor]] = field(default_factory=dict)
    extra: dict[str, Tensor] = field(default_factory=dict)


def read_checkpoint(path: str | Path) -> CheckpointData:
    """Read and verify a checkpoint file (one-line `UserError` if it is not a good one)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"checkpoint not found: {path}")
    try:
        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    except SafetensorError as exc:
        raise UserError(f"{path} is not a readable safetensors file ({exc})") from None
    try:
        meta = json.loads(header[META_KEY])
    except (KeyError, json.JSONDecodeError):
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise UserError(f"{path} is not an archsim checkpoint (no {META_KEY} metadata)")
    if meta.get("sha256") != _digest(tensors, meta):
        raise UserError(
            f"{path} is corrupt or edited: its tensors and metadata do not match "
            "the stored checksum"
        )
    _check_meta(path, meta)
    data = CheckpointData(meta, {})
    for key, t in tensors.items():
        if key.startswith(BN_PREFIX) and "/" in key:
            rate, name = key[len(BN_PREFIX) :].split("/", 1)
            data.bn_sets.setdefault(rate, {})[name] = t
        elif key.startswith(EXTRA_PREFIX):
            data.extra[key[len(EXTRA_PREFIX) :]] = t
        else:
            data.state[key] = t
    return data


def _check_meta(path: Path, meta: dict[str, Any]) -> None:
    """The required fields are there and of the right type (one-line error otherwise)."""
    if missing := [k for k in REQUIRED if k not in meta]:
        raise UserError(f"{path}: checkpoint metadata lacks {', '.join(missing)}")
    width = meta["width"]
    problems = [
        ("net", "a model name", isinstance(meta["net"], str)),
        (
            "width",
            "a positive number",
            isinstance(width, int | float)
            and not isinstance(width, bool)
            and math.isfinite(width)
            and width > 0,
        ),
        ("options", "a mapping", isinstance(meta.get("options", {}), dict)),
        *(
            (
                key,
                "a positive whole number",
                isinstance(meta[key], int) and not isinstance(meta[key], bool) and meta[key] > 0,
            )
            for key in ("num_classes", "in_channels")
        ),
    ]
    for key, what, ok in problems:
        if not ok:
            raise UserError(
                f"{path}: checkpoint metadata {key} must be {what}, got {meta.get(key)!r}"
            )


def _check_fits(path: Path, model: nn.Module, data: CheckpointData) -> None:
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in data.state.items()}
    arch = f"{data.meta['net']} width {data.meta['width']}"
    if missing := sorted(set(expected) - set(got)):
        raise UserError(f"{path} does not fit {arch}: missing {missing[0]} (+{len(missing) - 1})")
    if unexpected := sorted(set(got) - set(expected)):
        raise UserError(f"{path} does not fit {arch}: unexpected tensor {unexpected[0]}")
    for name, shape in expected.items():
        if got[name] != shape:
            raise UserError(f"{path} does not fit {arch}: {name} is {got[name]}, net has {shape}")
    for rate, stats in data.bn_sets.items():
        for name, t in stats.items():
            if expected.get(name) != tuple(t.shape):
                raise UserError(f"{path}: BatchNorm set {rate} has a bad tensor {name}")


def trusted_net(path: Path, meta: dict[str, Any], model: str | None) -> str:
    """The net to build for a checkpoint: its zoo name, or for a user model the one the user
    named (`model`), whose source must be the code the checkpoint was trained with.

    A checkpoint never imports code by itself: its metadata (which anyone can edit and
    re-checksum) names a user model, but only a model named by the user is imported, and only
    after its source's SHA-256 matched the recorded `model_source`, checked before importing.
    """
    from archsim.nets.user import is_user_spec, source_digest

    net = meta["net"]
    if not is_user_spec(net):
        return str(net)
    if model is None or not is_user_spec(model):
        raise UserError(
            f"{path} holds the user model {net}; a checkpoint never runs code by itself: "
            "name the model's file on the command line (--model FILE.py:FACTORY) to load it"
        )
    recorded = meta.get("model_source")
    if not isinstance(recorded, str):
        raise UserError(
            f"{path} records no source digest for its user model {net} (an older archsim "
            "wrote it): retrain it to load it with --model"
        )
    digest = source_digest(model)
    if digest != recorded:
        raise UserError(
            f"{model} is not the code {path} was trained with: its source's sha256 is "
            f"{digest[:12]}, the checkpoint records {recorded[:12]}"
        )
    return model


def build_model(
    path: str | Path,
    data: CheckpointData,
    device: str | torch.device = "cpu",
    model: str | None = None,
) -> nn.Module:
    """The checkpoint's net (`archsim.nets.get_net`) with its weights, in eval mode. A user
    model is built only from `model`, the user's own naming of it (see `trusted_net`)."""
    from archsim.nets import get_net  # the zoo pulls in every architecture: import on use

    meta = data.meta
    net = get_net(
        trusted_net(Path(path), meta, model),
        meta["width"],
        meta["num_classes"],
        meta["in_channels"],
        **meta.get("options", {}),
    )
    _check_fits(Path(path), net, data)
    net.load_state_dict(data.state, strict=True)
    return net.to(device).eval()


def load_checkpoint(
    path: str | Path, device: str | torch.device = "cpu", model: str | None = None
) -> tuple[nn.Module, dict[str, Any], dict[str, dict[str, Tensor]]]:
    """Rebuild the checkpoint's net and load the weights into it: (model, metadata, BN sets).
    `model`: the user model the user named, needed for a checkpoint of one."""
    data = read_checkpoint(path)
    net = build_model(path, data, device, model)
    bn_sets = {k: {n: t.to(device) for n, t in v.items()} for k, v in data.bn_sets.items()}
    return net, data.meta, bn_sets
