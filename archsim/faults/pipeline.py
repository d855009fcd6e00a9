"""Evaluate a checkpoint over simulated (or measured) faulty chips: the `archsim evaluate` flow.

checkpoint -> model; dataset test split; hardware + policy -> Mapping; quantize the RRAM
layers; per fault rate, Monte-Carlo over chips (or the one measured fault map).

Every setting the checkpoint records is the default: dataset, input handling (padding),
hardware, placement policy and overrides (extra overrides go on top), and the fault model it
was trained and recalibrated under. A different value given explicitly is used, and the
results say so. A model name or width that disagrees with the checkpoint, or a dataset whose
image shape or class count does not fit it, is refused. BatchNorm statistics follow the one
rule of `faults.bnsets.choose_bn` (unless `bn_sets=False`: training's); the caller passes
how a missing set is recalibrated on the fly (`train.recal_checkpoint.on_the_fly`). At rate 0
no chip has a fault, so one chip is scored, on every test image, and stands for all of them
(whatever the two-stage options say). glibc keeps freed memory for the process
(`malloc.py`), whoever calls this: the CLI, the API or a sweep worker.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from archsim.checkpoint import default_checkpoint_path, load_checkpoint
from archsim.config.hardware import load_hardware
from archsim.config.hwschema import HardwareConfig
from archsim.data.batches import resolve_device
from archsim.data.inputs import InputHandling, load_split
from archsim.data.records import Dataset
from archsim.errors import UserError
from archsim.faults.bnsets import BnChoice, Recalibrator, choose_bn, qualify_legacy_keys
from archsim.faults.checkpoint_checks import (
    check_data,
    check_declared_shape,
    check_identity,
    placement,
    recorded,
)
from archsim.faults.chip import ChipDrawer
from archsim.faults.devices import device_physics
from archsim.faults.faultmap import check_made_for
from archsim.faults.inject import FaultInjector
from archsim.faults.labformats import read_any_fault_map
from archsim.faults.malloc import keep_freed_memory
from archsim.faults.mechanisms import mechanism_of
from archsim.faults.models import FaultModel, check_rate
from archsim.faults.montecarlo import (
    AccuracyResult,
    ChipPlan,
    FaultFree,
    MonteCarloSpec,
    RunInfo,
    accuracy,
    run_chips,
)
from archsim.faults.presets import get_fault_model
from archsim.faults.records import ChipFaults
from archsim.faults.replicas import Balancer, replica_note
from archsim.faults.stats import summarize
from archsim.faults.xbarpath import crossbar_note, crossbar_setup
from archsim.machine import warn_if_oversubscribed
from archsim.mapping.records import Mapping
from archsim.nets.width import check_width

DEFAULT_DATASET = "digits"
DEFAULT_HARDWARE = "isaac"
DEFAULT_FAULT_MODEL = "dropconnect"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvaluateSpec:
    """Everything `archsim evaluate` needs, already parsed; `None`: the checkpoint's."""

    checkpoint: str | None = None
    model: str | None = None
    width: float | None = None  # must match the checkpoint's (default path: 1.0)
    rates: tuple[float, ...] = (0.05, 0.1, 0.2)
    fault_model: str | None = None  # default: the checkpoint's, else dropconnect
    dataset: str | None = None  # default: the checkpoint's dataset, else digits
    data_dir: str | None = None
    hardware: str | None = None  # default: the checkpoint's hardware, else isaac
    policy: str | None = None  # default: the checkpoint's policy and overrides, else cpu-1x1
    overrides: tuple[str, ...] = ()  # NAME=rram|cpu, after the checkpoint's (if its policy)
    bn_sets: bool = True  # use the checkpoint's recalibrated BatchNorm sets
    fault_map: str | None = None
    per_channel: bool = False
    device: str = "cpu"
    limit: int | None = None  # evaluate only `limit` test images (the first, or see below)
    subset_seed: int | None = None  # with limit: a random subset drawn by this seed
    skip: int = 0  # leave out the first `skip` test images (disjoint from training's validation)
    montecarlo: MonteCarloSpec = field(default_factory=MonteCarloSpec)
    models_dir: str = "models"
    crossbar: str = "fast"  # fast | exact | off (xbarpath.CROSSBAR_MODES)
    variation: str | None = None  # programming-variation preset (faults/devices.py)
    read_noise: str | None = None  # read-noise preset (faults/devices.py)
    drift: str | None = None  # drift preset (faults/devices.py), with `time`
    time: float | None = None  # seconds after programming


def resolve_checkpoint(spec: EvaluateSpec) -> Path:
    """The checkpoint to evaluate: `--checkpoint`, or the default path for `--model`."""
    if spec.checkpoint:
        return Path(spec.checkpoint)
    if not spec.model:
        raise UserError("give --checkpoint PATH or --model NAME")
    from archsim.nets import net_info

    name = net_info(spec.model).name  # an unknown name is refused before suggesting to train it
    if spec.width is not None:
        check_width(spec.width)
    dataset = spec.dataset or DEFAULT_DATASET
    width = 1.0 if spec.width is None else spec.width
    path = default_checkpoint_path(name, width, dataset, root=spec.models_dir)
    if not path.is_file():
        raise UserError(
            f"no checkpoint at {path}; run `archsim train --model {name} --width "
            f"{width:g} --dataset {dataset}` first"
        )
    return path


def folding_note(mapping: Mapping, hw: HardwareConfig, fault_model: FaultModel) -> tuple[str, ...]:
    """What the fault simulator's BatchNorm convention means for this run, when it matters.

    The cost model folds BN into the conv before it (hardware `operation.batchnorm`); the
    fault simulator faults the stored, unfolded weights and applies BN after them. A fault
    that zeroes a whole weight is the same on either (gamma / sigma x 0 = 0); a stuck cell's
    value is taken on the unfolded layer's scale, which a folded chip scales by gamma / sigma
    per output channel."""
    if not any(lm.spec.kind == "bn" for lm in mapping.layers):
        return ()
    if hw.operation.batchnorm != "folded":
        return ()
    if mechanism_of(fault_model).kind == "weight" and fault_model.stuck_on == 0:
        return ()  # a zeroed weight: exact under folding
    return (
        f"BatchNorm: the chip folds it into the conv weights; {fault_model.name} faults are "
        "applied to the unfolded weights with BN after them, so a stuck cell's value is on "
        "the unfolded scale, not scaled by gamma/sigma per channel as on a folded chip "
        "(docs/validation.md s.6)",
    )


OnTheFly = Callable[[Path, str], Recalibrator]  # (checkpoint, device) -> its recalibrator


@dataclass
class _Loaded:
    """The checkpoint, fault model, hardware name and test split `evaluate` runs on."""

    path: Path
    model: nn.Module
    meta: dict[str, Any]  # the checkpoint's JSON metadata
    bn_sets: dict[str, dict[str, Tensor]]
    fault_model: FaultModel
    hardware: str
    dataset: str
    handling: InputHandling
    data: Dataset
    images: Tensor
    labels: Tensor
    notes: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class _Run:
    """What every chip of one evaluation shares."""

    injector: FaultInjector  # over the mapped model: `injector.mapping`
    info: RunInfo
    mc: MonteCarloSpec
    float_accuracy: float
    quantized_accuracy: float


def evaluate(
    spec: EvaluateSpec, on_the_fly: OnTheFly, balance: Balancer | None = None
) -> list[AccuracyResult]:
    """One `AccuracyResult` per fault rate (or one for a measured fault map), on the design
    point `balance` makes of the one-copy mapping (None: one copy of every layer)."""
    rates = tuple(check_rate(r) for r in spec.rates)
    keep_freed_memory()  # batches' activations otherwise cost mmap/munmap per batch
    device = resolve_device(spec.device)  # an unknown or absent device: one line, first
    ld = _load(spec, device)
    mapping, hw, info = _map(spec, ld, balance)
    mc = spec.montecarlo
    float_acc = accuracy(ld.model, ld.images, ld.labels, mc.batch_size)
    injector = _injector(spec, ld, mapping, hw)
    with injector.applied(None):
        quant_acc = accuracy(ld.model, ld.images, ld.labels, mc.batch_size)
    if mc.threshold is None:  # "1% accuracy degradation allowed" (stochastic training paper)
        mc = replace(mc, threshold=round(quant_acc - 1.0, 6))
    mc.design(mc.chips).check(len(ld.labels))  # a bad two-stage design fails before any chip
    if ld.bn_sets and not spec.bn_sets:
        ld.notes += (f"recalibrated BatchNorm sets ({', '.join(ld.bn_sets)}) not used",)
    sets, recalibrator = (ld.bn_sets if spec.bn_sets else None), on_the_fly(ld.path, spec.device)
    run = _Run(
        injector=injector,
        info=info,
        mc=mc,
        float_accuracy=float_acc,
        quantized_accuracy=quant_acc,
    )
    if spec.fault_map:
        results = [_on_fault_map(spec.fault_map, ld, run, sets, recalibrator)]
    else:
        results = _over_rates(ld, run, rates, sets, recalibrator)
    notes = ld.notes
    return [replace(r, notes=notes + r.notes) for r in results] if notes else results


def _load(spec: EvaluateSpec, device: torch.device | None) -> _Loaded:
    """The checkpoint (checked against the spec), its fault model and hardware, and the test
    split (checked against the checkpoint), with the notes so far."""
    path = resolve_checkpoint(spec)
    model, meta, bn_sets = load_checkpoint(path, device or "cpu", spec.model)
    check_identity(spec, path, meta)
    bn_sets = qualify_legacy_keys(bn_sets, meta)
    # another fault model than training's is the usual experiment: no note for that
    fault_model = get_fault_model(
        spec.fault_model or meta.get("fault_model") or DEFAULT_FAULT_MODEL
    )
    hardware, notes = recorded(meta, "hardware", spec.hardware, DEFAULT_HARDWARE, "hardware")
    dataset_name = spec.dataset or meta.get("dataset") or DEFAULT_DATASET
    handling = InputHandling(
        spec.limit, spec.subset_seed, (meta.get("input") or {}).get("pad_to"), spec.skip
    )
    check_declared_shape(path, meta, dataset_name, handling)  # before any file is read
    data = load_split(dataset_name, "test", spec.data_dir, handling)
    notes += check_data(path, meta, dataset_name, data.input_shape, data.num_classes)
    images, labels = data.images.to(spec.device), data.labels.to(spec.device)
    return _Loaded(
        path, model, meta, bn_sets, fault_model, hardware, dataset_name, handling, data,
        images, labels, notes,
    )  # fmt: skip


def _map(
    spec: EvaluateSpec, ld: _Loaded, balance: Balancer | None
) -> tuple[Mapping, HardwareConfig, RunInfo]:
    """(mapping, hardware config, run info) for the loaded checkpoint, balanced by
    `balance`; adds the placement, BN-folding and replica notes to `ld.notes`."""
    from archsim.mapping.mapper import map_model
    from archsim.mapping.options import MapOptions

    meta = ld.meta
    policy, overrides, place_notes = placement(spec, meta)
    hw = load_hardware(ld.hardware)  # loaded once: the mapping and the BN note both read it
    mapping = map_model(
        ld.model,
        tuple(ld.images.shape[1:]),
        hw,
        options=MapOptions(policy=policy, overrides=overrides),
        model_name=meta["net"],
        width=float(meta["width"]),
    )
    if balance is not None:
        mapping = balance(ld.model, mapping, hw)
    info = RunInfo(
        meta["net"],
        float(meta["width"]),
        ld.dataset,
        ld.hardware,
        " ".join((policy, *overrides)),
        mapping.weight_bits,
        spec.per_channel,
        str(ld.path),
        _input_text(ld.data.input_shape, ld.handling),
    )
    ld.notes += place_notes + folding_note(mapping, hw, ld.fault_model)
    return mapping, hw, info


def _injector(
    spec: EvaluateSpec, ld: _Loaded, mapping: Mapping, hw: HardwareConfig
) -> FaultInjector:
    """The fault injector over the mapped model, on the chosen crossbar path; adds the
    crossbar note to `ld.notes`."""
    physics = device_physics(spec.variation, spec.read_noise, spec.drift, spec.time)
    setup = crossbar_setup(
        spec.crossbar,
        hw,
        ld.dataset,
        spec.data_dir,
        ld.handling.pad_to,
        ld.images.device,
        physics,
    )
    injector = FaultInjector(ld.model, mapping, spec.per_channel, setup)
    ld.notes += crossbar_note(spec.crossbar, hw, physics)
    what = "the budget's balanced mapping"
    ld.notes += replica_note(mapping, what, bool(injector.replicas))
    return injector


BnSets = dict[str, dict[str, Tensor]] | None


def _on_fault_map(
    fault_map: str, ld: _Loaded, run: _Run, sets: BnSets, recalibrator: Recalibrator
) -> AccuracyResult:
    """The one measured chip of `fault_map` (refused if made for another model)."""
    chip = read_any_fault_map(fault_map, run.injector.sites, run.injector.mapping)
    check_made_for(fault_map, chip.meta, run.info.model, run.info.width)
    warn_if_oversubscribed()  # after the checks: a refused map is one error line
    bn = choose_bn(sets, chip.fault_model, None, recalibrator)
    return _chips(run, None, None, ld, run.mc, bn, fault_map=chip)


def _chips(
    run: _Run,
    drawer: ChipDrawer | None,
    rate: float | None,
    ld: _Loaded,
    mc: MonteCarloSpec,
    bn: BnChoice,
    fault_map: ChipFaults | None = None,
) -> AccuracyResult:
    """`run_chips` with what every chip of the run shares."""
    return run_chips(
        run.injector,
        ChipPlan(drawer, rate, fault_map),
        ld.images,
        ld.labels,
        mc,
        run.info,
        bn=bn,
        fault_free=FaultFree(run.float_accuracy, run.quantized_accuracy),
    )


def _over_rates(
    ld: _Loaded, run: _Run, rates: tuple[float, ...], sets: BnSets, recalibrator: Recalibrator
) -> list[AccuracyResult]:
    """Simulated chips at each fault rate."""
    mapping = run.injector.mapping
    drawer = ChipDrawer(
        run.injector.sites, ld.fault_model, mapping.crossbar_rows, mapping.crossbar_cols
    )
    warn_if_oversubscribed()
    return [
        _at_rate(run, drawer, rate, ld, choose_bn(sets, ld.fault_model.name, rate, recalibrator))
        for rate in rates
    ]


def _input_text(shape: tuple[int, ...], handling: InputHandling) -> str:
    text = "x".join(map(str, shape))
    return f"{text}, padded to {handling.pad_to}x{handling.pad_to}" if handling.pad_to else text


def _at_rate(
    run: _Run, drawer: ChipDrawer, rate: float, ld: _Loaded, bn: BnChoice
) -> AccuracyResult:
    """Chips at one rate. At rate 0 every chip is the fault-free chip: it is scored once, on
    every test image (exact, so no pilot or image subset), and that accuracy stands for each
    of the chips (so std 0, a zero-width interval); unless the chips' device physics makes
    each chip its own."""
    mc, path = run.mc, run.injector.path
    if rate > 0 or (path is not None and path.physics.active):
        return _chips(run, drawer, rate, ld, mc, bn)
    one = replace(mc, chips=1, adaptive=None, images_per_chip=None)
    once = _chips(run, drawer, rate, ld, one, bn)
    if mc.chips == 1:
        return once
    per_chip = once.per_chip * mc.chips
    note = f"rate 0: no chip has a fault, so 1 evaluation stands for the {mc.chips} chips"
    return replace(
        once,
        per_chip=per_chip,
        summary=summarize(list(per_chip), mc.threshold),
        notes=(*once.notes, note),
    )
