"""`train(spec) -> TrainResult`: the one function behind `archsim train` and the sweep engine.

Steps: resolve the spec; if its checkpoint is already complete for this spec, return it;
load data; build the net (seeded) or take the `--from` checkpoint's weights; map it to find the
RRAM layers (the only ones drop-connect, faults and pruning touch); prune (magnitude now, ADMM
after its phase); resume from the partial state if there is one; run the epochs; recalibrate
BatchNorm per inference fault rate; write the final checkpoint atomically and delete the state.

Random streams: `archsim.train.streams` (`data`, `noise`, `recal`). The net's initial weights
come from `get_net(seed=spec.seed)`. A finished run asked for BatchNorm sets it does not hold
is not retrained: its checkpoint is recalibrated (`recal_checkpoint`) and returned as cached.
"""

import logging
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from time import perf_counter
from typing import Any

import torch
from torch import nn

from archsim.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from archsim.data import Dataset
from archsim.data.batches import resolve_device
from archsim.data.inputs import load_split
from archsim.errors import UserError
from archsim.faults.devices import device_physics
from archsim.faults.inject import rram_layer_names
from archsim.faults.malloc import keep_freed_memory
from archsim.faults.mechanisms import training_cells
from archsim.faults.models import FaultModel
from archsim.faults.presets import get_fault_model
from archsim.faults.sites import cell_formats
from archsim.machine import warn_if_oversubscribed
from archsim.mapping.mapper import map_model
from archsim.mapping.options import MapOptions
from archsim.mapping.records import Mapping as ChipMapping
from archsim.nets import get_net
from archsim.train.loop import OnEpoch, RunSetup, run_epochs
from archsim.train.perturb import layer_weights
from archsim.train.prune import ADMM, PruneMasks
from archsim.train.recal_checkpoint import RecalibrateSpec, recalibrate_checkpoint
from archsim.train.recalibrate import RecalData, pass_batches, recalibrate_data
from archsim.train.records import EpochRecord, TrainResult
from archsim.train.resolve import resolve_spec
from archsim.train.schedule import plan_epochs
from archsim.train.spec import TrainSpec
from archsim.train.state import RunState, load_state, make_optimizer, partial_path
from archsim.train.streams import stream_generator, stream_seed
from archsim.train.validate import Validation, default_val_limit

__all__ = ["stream_seed", "train"]  # stream_seed: where the sweep's recalibrate job imports it
log = logging.getLogger(__name__)


def _init_from(spec: TrainSpec, model: torch.nn.Module, data: Dataset) -> dict[str, Any]:
    """Load the `--from` checkpoint's weights into `model`; returns its metadata."""
    assert spec.init_from is not None
    source, meta, _ = load_checkpoint(spec.init_from, model=spec.model)
    mine = (spec.model, spec.width, data.num_classes, data.input_shape[0], spec.options)
    theirs = (
        meta["net"],
        meta["width"],
        meta["num_classes"],
        meta["in_channels"],
        meta.get("options", {}),
    )
    if mine != theirs:
        raise UserError(
            f"--from {spec.init_from} is {theirs[0]} width {theirs[1]} "
            f"({theirs[2]} classes, {theirs[3]} channels, options {theirs[4]}), "
            f"not the {mine[0]} width {mine[1]} ({mine[2]}, {mine[3]}, {mine[4]}) "
            "this run trains"
        )
    model.load_state_dict(source.state_dict())
    return meta


def _meta(spec: TrainSpec, data: Dataset, layers: list[str]) -> dict[str, Any]:
    return {
        "net": spec.model,
        "width": spec.width,
        "num_classes": data.num_classes,
        "in_channels": data.input_shape[0],
        "options": spec.options,
        "input_shape": list(data.input_shape),
        "input": spec.inputs("train").to_meta(),
        "dataset": spec.dataset,
        "card": spec.card,
        "method": spec.method,
        "rate": spec.final_rate,
        "rates": list(spec.rates),
        "fault_model": spec.fault_model,
        "policy": spec.policy,
        "overrides": list(spec.overrides),
        "hardware": spec.hardware,
        "rram_layers": layers,
        "seed": spec.seed,
        "spec": spec.model_dump(mode="json"),
        "spec_digest": spec.digest(),
        # a user model's source digest: loading the checkpoint needs the user to name that code
        "model_source": spec.identity().get("model_source"),
        "prune": None if spec.prune is None else {"method": spec.prune, "sparsity": spec.sparsity},
    }


def _has_sets(spec: TrainSpec, meta: Mapping[str, Any]) -> bool:
    """Whether a recorded recalibration made every set `spec` asks for, the same way."""

    def made(rate: float) -> bool:
        return any(
            r.get("fault_model") == spec.fault_model
            and rate in r.get("rates", ())
            and r.get("asked_batches") == spec.recalibrate_batches
            for r in meta.get("recalibrations", [])
        )

    return all(made(rate) for rate in spec.recalibrate)


def _cached(spec: TrainSpec, path: Path) -> TrainResult | None:
    if not path.is_file():
        return None
    try:
        meta = read_checkpoint(path).meta
    except UserError:
        return None
    if meta.get("partial") or meta.get("spec_digest") != spec.digest():
        return None
    if not _has_sets(spec, meta):
        log.info("%s is trained; recalibrating BatchNorm only", path)
        recalibrate_checkpoint(
            RecalibrateSpec(
                str(path),
                spec.recalibrate,
                spec.fault_model,
                spec.recalibrate_batches,
                data_dir=spec.data_dir,
                device=spec.device,
                progress=spec.progress,
            )
        )
        meta = read_checkpoint(path).meta
    curves = tuple(EpochRecord.from_dict(r) for r in meta.get("curves", []))
    return TrainResult(
        path,
        spec,
        curves,
        tuple(meta["rram_layers"]),
        tuple(meta.get("bn_sets", [])),
        meta.get("sparsity"),
        0.0,
        len(curves),
        True,
    )


def train(spec: TrainSpec, *, on_epoch: OnEpoch | None = None, force: bool = False) -> TrainResult:
    """Train as `spec` says, write the checkpoint, return a summary (see module doc)."""
    started = perf_counter()
    spec = resolve_spec(spec)
    final = spec.checkpoint_path()
    if not force and (done := _cached(spec, final)) is not None:
        return done
    device = resolve_device(spec.device) or torch.device("cpu")
    keep_freed_memory()  # see archsim/faults/malloc.py: every batch's tensors otherwise mmap
    data, val = _splits(spec)
    model, from_meta = _model(spec, data, device)
    mapping = _mapping(spec, model, data)
    layers = rram_layer_names(mapping)
    weights = layer_weights(model, layers)
    assert spec.fault_model is not None  # resolve_spec sets it from the method
    fault_model = get_fault_model(spec.fault_model)
    cells = cell_formats(mapping) if training_cells(fault_model) else None
    state = _initial_state(spec, model, weights, bool(from_meta.get("prune")), device)
    meta = _meta(spec, data, layers)
    state_path = partial_path(final)
    resumed = 0
    if not force and load_state(state_path, state, spec.digest()):
        resumed = state.epochs_done
    validation = _validation(spec, val, mapping, fault_model, device)
    physics = device_physics(spec.variation, spec.read_noise)
    setup = RunSetup(
        spec, data, layers, weights, fault_model, cells, validation, state_path, meta,
        physics=physics, noise_cells=cell_formats(mapping) if physics.active else None,
    )  # fmt: skip
    warn_if_oversubscribed()
    run_epochs(setup, plan_epochs(spec), state, on_epoch)
    bn_sets = _recalibrate(spec, setup, state)
    sparsity = None if state.masks is None else state.masks.sparsity()
    meta.update(
        curves=[r.to_dict() for r in state.curves],
        bn_sets=list(bn_sets),
        sparsity=sparsity,
        partial=False,
        init_from_meta=_brief(from_meta),
        recalibrations=[_record(spec, setup)] if spec.recalibrate else [],
    )
    save_checkpoint(final, model, meta, bn_sets)
    state_path.unlink(missing_ok=True)
    return TrainResult(
        final,
        spec,
        tuple(state.curves),
        tuple(layers),
        tuple(bn_sets),
        sparsity,
        perf_counter() - started,
        resumed,
        False,
    )


def _mapping(spec: TrainSpec, model: nn.Module, data: Dataset) -> ChipMapping:
    """The chip the run trains for: its RRAM layers, cells and validation chips."""
    return map_model(
        model,
        data.input_shape,
        spec.hardware,
        options=MapOptions(policy=spec.policy, overrides=spec.overrides),
        model_name=spec.model,
        width=spec.width,
    )


def _splits(spec: TrainSpec) -> tuple[Dataset, Dataset]:
    """The training split and the validation images (by default the first N test images, N
    from the training size: train/validate.py)."""
    data = load_split(spec.dataset, "train", spec.data_dir, spec.inputs("train"))
    val_inputs = spec.inputs("test")
    if spec.val_limit is None:
        val_inputs = replace(val_inputs, limit=default_val_limit(len(data)), subset_seed=None)
    return data, load_split(spec.dataset, "test", spec.data_dir, val_inputs)


def _model(
    spec: TrainSpec, data: Dataset, device: torch.device
) -> tuple[nn.Module, dict[str, Any]]:
    """The seeded network on `device` (its weights from `init_from` where given) and the
    metadata of the checkpoint it started from ({} when none)."""
    model = get_net(spec.model, spec.width, data.num_classes, data.input_shape[0],
                    seed=spec.seed, **spec.options)  # fmt: skip
    from_meta = _init_from(spec, model, data) if spec.init_from else {}
    model.to(device)
    if spec.channels_last:
        model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    return model, from_meta


def _initial_state(
    spec: TrainSpec,
    model: nn.Module,
    weights: dict[str, nn.Parameter],
    pruned_start: bool,
    device: torch.device,
) -> RunState:
    """Optimizer, seeded streams, prune masks (kept from a pruned start, and/or by
    magnitude) applied to the weights, and ADMM's state where the spec prunes by it."""
    state = RunState(
        model,
        make_optimizer(spec, model),
        {
            "data": stream_generator(spec.seed, "data", torch.device("cpu")),
            "noise": stream_generator(spec.seed, "noise", device),
        },
    )
    if pruned_start:
        state.masks = PruneMasks.from_zeros(weights)
    if spec.prune == "magnitude":
        pruned = PruneMasks.by_magnitude(weights, spec.sparsity)
        state.masks = (
            pruned
            if state.masks is None
            else PruneMasks({k: m & state.masks.masks[k] for k, m in pruned.masks.items()})
        )
    if state.masks is not None:
        state.masks.apply_(weights)
    if spec.prune == "admm":
        state.admm = ADMM(weights, spec.sparsity, spec.admm_rho)
    return state


def _validation(
    spec: TrainSpec,
    val: Dataset,
    mapping: ChipMapping,
    fault_model: FaultModel,
    device: torch.device,
) -> Validation:
    """The per-epoch validation: fault-free and on the spec's fixed faulty chips."""
    images = val.images.to(device)
    if spec.channels_last:
        images = images.contiguous(memory_format=torch.channels_last)
    return Validation(images, val.labels.to(device), mapping, fault_model,
                      spec.val_rate or 0.0, spec.val_chips, spec.val_seed)  # fmt: skip


def _recalibrate(
    spec: TrainSpec, setup: RunSetup, state: RunState
) -> dict[str, dict[str, torch.Tensor]]:
    if not spec.recalibrate:
        return {}
    assert spec.batch_size is not None
    return recalibrate_data(
        state.model,
        setup.layers,
        spec.recalibrate,
        setup.fault_model,
        RecalData(
            data=setup.train_data,
            batch_size=spec.batch_size,
            seed=spec.seed,
            batches=spec.recalibrate_batches,
            channels_last=spec.channels_last,
        ),
        cells=setup.cells,
        progress=spec.progress,
    )


def _record(spec: TrainSpec, setup: RunSetup) -> dict[str, Any]:
    """The metadata entry of training's recalibration (as `recal_checkpoint` writes one)."""
    assert spec.batch_size is not None
    batches = pass_batches(len(setup.train_data), spec.batch_size, spec.recalibrate_batches)
    return {
        "fault_model": setup.fault_model.name,
        "rates": sorted(spec.recalibrate),
        "batches": batches,
        "asked_batches": spec.recalibrate_batches,
        "images": min(batches * spec.batch_size, len(setup.train_data)),
        "seed": spec.seed,
        "dataset": spec.dataset,
    }


def _brief(meta: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the `--from` checkpoint was, for provenance (not its curves)."""
    if not meta:
        return None
    keys = ("method", "rate", "rates", "dataset", "spec_digest", "sha256", "provenance", "prune")
    return {k: meta.get(k) for k in keys}
