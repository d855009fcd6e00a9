"""Recalibrate the BatchNorm statistics of a trained checkpoint: `archsim recalibrate`.

Every setting defaults to what the checkpoint records about its training run: the training
data and how it was read (subset, padding), the batch size, the seed (so the faults come from
the same `recal` stream as `archsim train --recalibrate`), the hardware and placement (which
layers are on RRAM), the memory layout and the fault model. With the same rates and batches
the sets are therefore bit for bit those training would have made. The new sets join the
checkpoint's (a set of the same fault model and rate is replaced), the run is appended to the
metadata's `recalibrations`, and the file (or `output`) is written atomically.
"""

import datetime
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from archsim.atomic import locked_update
from archsim.checkpoint import build_model, read_checkpoint, save_checkpoint
from archsim.data.batches import resolve_device
from archsim.data.inputs import InputHandling, load_split
from archsim.errors import UserError
from archsim.faults.bnsets import Recalibrator, qualify_legacy_keys
from archsim.faults.inject import rram_layer_names
from archsim.faults.mechanisms import training_cells
from archsim.faults.models import check_rate
from archsim.faults.presets import get_fault_model
from archsim.faults.sites import cell_formats
from archsim.faults.technique import ChipTechnique
from archsim.machine import warn_if_oversubscribed
from archsim.mapping.mapper import map_model
from archsim.mapping.options import MapOptions
from archsim.train.recalibrate import RecalData, pass_batches, recalibrate_data
from archsim.train.resolve import DEFAULT_RECIPE


@dataclass(frozen=True)
class RecalibrateSpec:
    """What to recalibrate; `None` means "as the checkpoint's training run did"."""

    checkpoint: str
    rates: tuple[float, ...]
    fault_model: str | None = None
    batches: int | None = None  # per rate (default: `recalibrate.default_batches`)
    output: str | None = None  # default: rewrite `checkpoint` in place
    dataset: str | None = None
    data_dir: str | None = None
    batch_size: int | None = None
    seed: int | None = None
    device: str = "cpu"
    progress: bool = False
    technique: ChipTechnique | None = None  # chips with it: its RRAM layers, faults moved


@dataclass(frozen=True)
class RecalibrationResult:
    """Where the sets went and what they were made from."""

    checkpoint: Path
    fault_model: str
    keys: tuple[str, ...]  # the sets this call made
    all_keys: tuple[str, ...]  # every set the checkpoint now holds
    batches: int
    images: int  # training images each rate's pass saw
    dataset: str
    hardware: str
    policy: str
    seed: int


def _settings(spec: RecalibrateSpec, meta: dict[str, Any]) -> dict[str, Any]:
    trained: dict[str, Any] = meta.get("spec") or {}
    limit = trained.get("limit")
    pad_to = (meta.get("input") or {}).get("pad_to")
    return {
        "dataset": spec.dataset or meta.get("dataset"),
        "data_dir": spec.data_dir or trained.get("data_dir"),
        "inputs": InputHandling(limit, trained.get("subset_seed") if limit else None, pad_to),
        "batch_size": spec.batch_size or trained.get("batch_size") or DEFAULT_RECIPE.batch_size,
        "seed": meta.get("seed", 0) if spec.seed is None else spec.seed,
        "fault_model": spec.fault_model or meta.get("fault_model") or "dropconnect",
        "hardware": meta.get("hardware") or "isaac",
        "policy": meta.get("policy") or "cpu-1x1",
        "overrides": tuple(meta.get("overrides") or ()),
        "channels_last": bool(trained.get("channels_last", False)),
    }


@dataclass(frozen=True)
class _Made:
    model: torch.nn.Module  # the checkpoint's model (its own statistics left as they were)
    sets: dict[str, dict[str, torch.Tensor]]
    settings: dict[str, Any]
    fault_model: str
    batches: int
    images: int


def _recalibrated(spec: RecalibrateSpec, path: Path, data: Any) -> _Made:
    """The sets `spec` asks for, made from the checkpoint `data` read from `path`."""
    meta = data.meta
    if meta.get("partial"):
        raise UserError(f"{path} is an unfinished training run; finish it with archsim train")
    s = _settings(spec, meta)
    if spec.dataset and meta.get("dataset") and spec.dataset != meta["dataset"]:
        raise UserError(
            f"{path} was trained on {meta['dataset']}; its BatchNorm statistics are "
            f"recalibrated on the same data, not on {spec.dataset}: drop --dataset"
        )
    if not s["dataset"]:
        raise UserError(f"{path} does not record its dataset; give --dataset")
    fault_model = get_fault_model(s["fault_model"])
    device = resolve_device(spec.device) or torch.device("cpu")
    model = build_model(path, data, device)
    train_data = load_split(s["dataset"], "train", s["data_dir"], s["inputs"])
    if train_data.input_shape[0] != meta["in_channels"]:
        raise UserError(
            f"{path} was built for {meta['in_channels']} channels; "
            f"{s['dataset']} has {train_data.input_shape[0]}"
        )
    if s["channels_last"]:
        model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    mapping = map_model(
        model,
        train_data.input_shape,
        s["hardware"],
        options=MapOptions(policy=s["policy"], overrides=s["overrides"]),
        model_name=meta["net"],
        width=float(meta["width"]),
    )
    cells = cell_formats(mapping) if training_cells(fault_model) else None
    batches = pass_batches(len(train_data), s["batch_size"], spec.batches)  # checked first
    warn_if_oversubscribed()
    technique = spec.technique
    sets = recalibrate_data(
        model,
        rram_layer_names(mapping) if technique is None else list(technique.layers),
        spec.rates,
        fault_model,
        RecalData(
            data=train_data,
            batch_size=s["batch_size"],
            seed=s["seed"],
            batches=spec.batches,
            channels_last=s["channels_last"],
        ),
        cells=cells,
        progress=spec.progress,
        technique=technique,
    )
    images = min(batches * s["batch_size"], len(train_data))
    return _Made(model, sets, s, fault_model.name, batches, images)


def on_the_fly(checkpoint: str | Path, device: str = "cpu") -> Recalibrator:
    """What the BatchNorm rule (`faults.bnsets.choose_bn`) calls for a fault model and rate
    the checkpoint holds no set for, or for chips with a technique: a set made as `archsim
    recalibrate` would make it with the checkpoint's recorded settings (its data, batch size,
    seed, placement, and the batch count of its last recalibration), kept in memory, never
    written; with a technique, over its RRAM layers with every fault draw moved as the
    technique moves a chip's faults."""
    path = Path(checkpoint)

    def make(
        fault_model: str, rate: float, technique: ChipTechnique | None = None
    ) -> dict[str, torch.Tensor]:
        data = read_checkpoint(path)
        done = data.meta.get("recalibrations") or [{}]
        spec = RecalibrateSpec(
            str(path),
            (rate,),
            fault_model,
            batches=done[-1].get("batches"),
            device=device,
            technique=technique,
        )
        (stats,) = _recalibrated(spec, path, data).sets.values()
        return stats

    return make


def recalibrate_checkpoint(spec: RecalibrateSpec) -> RecalibrationResult:
    """Recalibrate `spec.checkpoint` for each rate and write the sets (see the module doc).

    Rewriting the checkpoint in place holds its lock from reading to writing: a second run on
    the same file is refused, so no run's sets are lost to another's write."""
    path = Path(spec.checkpoint)
    if spec.output is not None or not path.is_file():
        return _recalibrate(spec)
    with locked_update(path, "checkpoint"):
        return _recalibrate(spec)


def _recalibrate(spec: RecalibrateSpec) -> RecalibrationResult:
    if not spec.rates:
        raise UserError("give at least one rate to recalibrate for, e.g. --rates 0,0.1,0.2")
    rates = tuple(check_rate(r) for r in spec.rates)
    if len(set(rates)) != len(rates):
        raise UserError(f"recalibration rates repeat: {list(rates)}")
    path = Path(spec.checkpoint)
    data = read_checkpoint(path)
    meta = data.meta
    made = _recalibrated(replace(spec, rates=rates), path, data)
    s, sets, batches, images = made.settings, made.sets, made.batches, made.images
    merged = {**qualify_legacy_keys(data.bn_sets, meta), **sets}
    # a net without BatchNorm stores no tensors for a set: its earlier sets live only in the
    # metadata's list, kept here so a second recalibration does not drop the first's
    listed = {k for k in meta.get("bn_sets") or () if isinstance(k, str) and ":" in k}
    names = sorted(listed | set(merged))
    record = {
        "fault_model": made.fault_model,
        "rates": sorted(rates),
        "batches": batches,
        "asked_batches": spec.batches,
        "images": images,
        "seed": s["seed"],
        "dataset": s["dataset"],
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    new_meta = {k: v for k, v in meta.items() if k not in ("sha256", "format")}
    new_meta.update(bn_sets=names, recalibrations=[*meta.get("recalibrations", []), record])
    target = Path(spec.output) if spec.output else path
    save_checkpoint(target, made.model, new_meta, merged, data.extra or None)
    return RecalibrationResult(
        target,
        made.fault_model,
        tuple(sets),
        tuple(names),
        batches,
        images,
        s["dataset"],
        s["hardware"],
        " ".join((s["policy"], *s["overrides"])),
        s["seed"],
    )
