"""Evaluate a checkpoint over simulated (or measured) faulty chips: the `archsim evaluate` flow.

checkpoint -> model; dataset test split; hardware + policy -> Mapping; quantize the RRAM
layers; per fault rate, Monte-Carlo over chips (or the one measured fault map).

Placement: by default the checkpoint's own policy and overrides (what training put on RRAM),
plus any extra overrides; an explicit policy replaces the checkpoint's, and the results say so
when it differs. Recalibrated BatchNorm sets stored in the checkpoint are used unless
`bn_sets=False`. glibc keeps freed memory for the process (`malloc.py`), whoever calls this:
the CLI, the API or a sweep worker.
"""

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from archsim.checkpoint import default_checkpoint_path, load_checkpoint
from archsim.errors import UserError
from archsim.faults.chip import ChipDrawer
from archsim.faults.faultmap import load_fault_map
from archsim.faults.inject import FaultInjector
from archsim.faults.malloc import keep_freed_memory
from archsim.faults.models import check_rate
from archsim.faults.montecarlo import (
    AccuracyResult,
    MonteCarloSpec,
    RunInfo,
    accuracy,
    run_chips,
)
from archsim.faults.presets import get_fault_model

DEFAULT_DATASET = "digits"
DEFAULT_POLICY = "cpu-1x1"


@dataclass(frozen=True)
class EvaluateSpec:
    """Everything `archsim evaluate` needs, already parsed."""

    checkpoint: str | None = None
    model: str | None = None
    width: float = 1.0
    rates: tuple[float, ...] = (0.05, 0.1, 0.2)
    fault_model: str = "dropconnect"
    dataset: str | None = None  # default: the checkpoint's dataset, else digits
    data_dir: str | None = None
    hardware: str = "isaac"
    policy: str | None = None  # default: the checkpoint's policy and overrides, else cpu-1x1
    overrides: tuple[str, ...] = ()  # NAME=rram|cpu, after the checkpoint's (if its policy)
    bn_sets: bool = True  # use the checkpoint's recalibrated BatchNorm sets
    fault_map: str | None = None
    per_channel: bool = False
    device: str = "cpu"
    limit: int | None = None  # evaluate only the first `limit` test images
    montecarlo: MonteCarloSpec = field(default_factory=MonteCarloSpec)
    models_dir: str = "models"


def resolve_checkpoint(spec: EvaluateSpec) -> Path:
    """The checkpoint to evaluate: `--checkpoint`, or the default path for `--model`."""
    if spec.checkpoint:
        return Path(spec.checkpoint)
    if not spec.model:
        raise UserError("give --checkpoint PATH or --model NAME")
    dataset = spec.dataset or DEFAULT_DATASET
    path = default_checkpoint_path(spec.model, spec.width, dataset, root=spec.models_dir)
    if not path.is_file():
        raise UserError(
            f"no checkpoint at {path}; run `archsim train --model {spec.model} --width "
            f"{spec.width:g} --dataset {dataset}` first"
        )
    return path


def placement(spec: EvaluateSpec, meta: dict[str, Any]) -> tuple[str, tuple[str, ...],
                                                                  tuple[str, ...]]:
    """(policy, overrides, notes) to map the checkpoint with (see the module doc)."""
    trained = meta.get("policy")
    trained_overrides = tuple(meta.get("overrides") or ())
    if spec.policy is None:
        return trained or DEFAULT_POLICY, trained_overrides + spec.overrides, ()
    notes: tuple[str, ...] = ()
    if trained and (spec.policy, spec.overrides) != (trained, trained_overrides):
        was = " ".join((trained, *trained_overrides))
        notes = (f"placement {' '.join((spec.policy, *spec.overrides))} differs from the "
                 f"checkpoint's training placement {was}",)
    return spec.policy, spec.overrides, notes


def evaluate(spec: EvaluateSpec) -> list[AccuracyResult]:
    """One `AccuracyResult` per fault rate (or one for a measured fault map)."""
    from archsim.data import get_dataset
    from archsim.mapping.mapper import map_model

    rates = tuple(check_rate(r) for r in spec.rates)
    keep_freed_memory()  # batches' activations otherwise cost mmap/munmap per batch
    fault_model = get_fault_model(spec.fault_model)
    path = resolve_checkpoint(spec)
    model, meta, bn_sets = load_checkpoint(path, spec.device)
    if spec.model and spec.checkpoint and meta["net"] != spec.model:
        raise UserError(f"{path} holds a {meta['net']}, not a {spec.model}")
    dataset_name = spec.dataset or meta.get("dataset") or DEFAULT_DATASET
    data = get_dataset(dataset_name, "test", spec.data_dir, spec.limit)
    if data.images.shape[1] != meta["in_channels"] or data.num_classes != meta["num_classes"]:
        raise UserError(
            f"{path} was built for {meta['in_channels']} channels / {meta['num_classes']} "
            f"classes; {dataset_name} has {data.images.shape[1]} / {data.num_classes}"
        )
    images, labels = data.images.to(spec.device), data.labels.to(spec.device)
    policy, overrides, notes = placement(spec, meta)
    mapping = map_model(model, tuple(images.shape[1:]), spec.hardware, policy=policy,
                        overrides=overrides, model_name=meta["net"], width=float(meta["width"]))
    info = RunInfo(meta["net"], float(meta["width"]), dataset_name, spec.hardware,
                   " ".join((policy, *overrides)), mapping.weight_bits, spec.per_channel,
                   str(path))
    mc = spec.montecarlo
    float_acc = accuracy(model, images, labels, mc.batch_size)
    injector = FaultInjector(model, mapping, spec.per_channel)
    with injector.applied(None):
        quant_acc = accuracy(model, images, labels, mc.batch_size)
    if mc.threshold is None:  # "1% accuracy degradation allowed" (stochastic training paper)
        mc = replace(mc, threshold=round(quant_acc - 1.0, 6))
    if bn_sets and not spec.bn_sets:
        notes += (f"recalibrated BatchNorm sets ({', '.join(bn_sets)}) not used",)
    common = {"bn_sets": bn_sets if spec.bn_sets else None, "float_accuracy": float_acc,
              "quantized_accuracy": quant_acc}
    if spec.fault_map:
        chip = load_fault_map(spec.fault_map, injector.sites)
        results = [run_chips(injector, None, None, images, labels, mc, info, fault_map=chip,
                             **common)]
    else:
        drawer = ChipDrawer(injector.sites, fault_model, mapping.crossbar_rows,
                            mapping.crossbar_cols)
        results = [run_chips(injector, drawer, rate, images, labels, mc, info, **common)
                   for rate in rates]
    return [replace(r, notes=notes + r.notes) for r in results] if notes else results
