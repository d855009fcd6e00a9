"""Everything a run needs to continue exactly where it stopped, saved after every epoch.

The state is an archsim checkpoint (`archsim.checkpoint.save_checkpoint`, atomic) beside the
final one, `<name>.partial.safetensors`: the model's weights and buffers, plus as extra tensors
the optimizer's state (momentum buffers), the states of every random generator, the pruning
masks and the ADMM variables; its metadata holds the spec's digest, the epochs done, the curves
and the optimizer's scalar settings. The learning rate is a pure function of the position in
the run (`schedule.py`), so it needs no state. A resumed run therefore draws the same batches,
masks and faults and computes the same numbers as an uninterrupted one. This holds for SGD
(momentum buffers) and Adam (step counts and both moment estimates) alike: every tensor of the
optimizer's state is saved, and `load_state_dict` puts each where its parameter lives (Adam's
step counts stay on the CPU unless the optimizer is capturable).
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from archsim.checkpoint import read_checkpoint, save_checkpoint
from archsim.train.prune import ADMM, PruneMasks
from archsim.train.records import EpochRecord
from archsim.train.spec import TrainSpec


def partial_path(final: Path) -> Path:
    name = final.name.removesuffix(".safetensors")
    return final.with_name(f"{name}.partial.safetensors")


def make_optimizer(spec: TrainSpec, model: nn.Module) -> torch.optim.Optimizer:
    """The resolved spec's optimizer over all of `model`'s parameters (lr is set per step)."""
    assert spec.lr is not None and spec.weight_decay is not None
    if spec.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=spec.lr, weight_decay=spec.weight_decay)
    assert spec.optimizer == "sgd" and spec.momentum is not None
    return torch.optim.SGD(
        model.parameters(), lr=spec.lr, momentum=spec.momentum, weight_decay=spec.weight_decay
    )


@dataclass
class RunState:
    """The mutable state of a run between epochs."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    generators: dict[str, torch.Generator]
    masks: PruneMasks | None = None
    admm: ADMM | None = None
    curves: list[EpochRecord] = field(default_factory=list)

    @property
    def epochs_done(self) -> int:
        return len(self.curves)


def _optimizer_extra(optimizer: torch.optim.Optimizer) -> tuple[dict[str, Tensor], dict[str, Any]]:
    sd = optimizer.state_dict()
    tensors: dict[str, Tensor] = {}
    scalars: dict[str, Any] = {}
    for index, entry in sd["state"].items():
        for key, value in entry.items():
            if isinstance(value, Tensor):
                tensors[f"opt/{index}/{key}"] = value
            else:
                scalars[f"{index}/{key}"] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def save_state(path: Path, state: RunState, meta: dict[str, Any]) -> None:
    """Write the run's state atomically (meta: the checkpoint metadata of the run)."""
    extra, optimizer_meta = _optimizer_extra(state.optimizer)
    extra.update({f"gen/{k}": g.get_state() for k, g in state.generators.items()})
    if state.masks is not None:
        extra.update({f"mask/{k}": m for k, m in state.masks.masks.items()})
    if state.admm is not None:
        extra.update({f"admm/{k}": t for k, t in state.admm.state().items()})
    full = {
        **meta,
        "partial": True,
        "epochs_done": state.epochs_done,
        "curves": [r.to_dict() for r in state.curves],
        "optimizer": optimizer_meta,
    }
    save_checkpoint(path, state.model, full, extra=extra)


def load_state(path: Path, state: RunState, digest: str) -> bool:
    """Restore `state` from `path` if it is this spec's partial run; False if not."""
    if not path.is_file():
        return False
    data = read_checkpoint(path)
    if not data.meta.get("partial") or data.meta.get("spec_digest") != digest:
        return False
    device = next(state.model.parameters()).device
    state.model.load_state_dict(data.state, strict=True)
    opt_meta = data.meta["optimizer"]
    opt_state: dict[int, dict[str, Any]] = {}
    for key, value in data.extra.items():
        if key.startswith("opt/"):  # load_state_dict moves them to their parameter's device
            _, index, name = key.split("/", 2)
            opt_state.setdefault(int(index), {})[name] = value
    for key, value in opt_meta["scalars"].items():
        index, name = key.split("/", 1)
        opt_state.setdefault(int(index), {})[name] = value
    state.optimizer.load_state_dict({"state": opt_state, "param_groups": opt_meta["param_groups"]})
    for name, generator in state.generators.items():
        generator.set_state(data.extra[f"gen/{name}"])
    masks = {k[5:]: v.to(device) for k, v in data.extra.items() if k.startswith("mask/")}
    state.masks = PruneMasks(masks) if masks else None
    if state.admm is not None:
        state.admm.load_state({k[5:]: v for k, v in data.extra.items() if k.startswith("admm/")})
    state.curves = [EpochRecord.from_dict(r) for r in data.meta["curves"]]
    return True
