"""Job kinds `train` and `recalibrate`.

`train` is a thin adapter over `archsim.train.train`; its checkpoint lives in the job's own
folder, so a killed sweep resumes the run from its last epoch (the trainer's partial state).
Results hold numbers only, no wall times (the store records those per job), so the same job
stores the same row whichever executor ran it.
`recalibrate` re-estimates BatchNorm statistics of a trained checkpoint for each inference
fault rate under one placement policy ("UpdateVar"), on the training data read as training
read it (subset and padding from the checkpoint), and writes a new checkpoint holding the
sets; the trained checkpoint is never modified, so one model serves several policies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archsim.explore.jobs import JobContext, pin_torch_threads
from archsim.explore.kinds import checked_hardware

if TYPE_CHECKING:  # the data layer loads in the worker, when the job runs
    from archsim.data.records import Dataset

CHECKPOINT = "model.safetensors"


def _curves(records: Any) -> dict[str, Any]:
    return {
        "epoch": [r.epoch for r in records],
        "stage": [r.stage for r in records],
        "train_rate": [r.rate for r in records],
        "lr": [r.lr for r in records],
        "train_loss": [r.train_loss for r in records],
        "train_acc": [r.train_acc for r in records],
        "val_acc": [r.val_acc for r in records],
        "val_fault_acc": [r.chip_mean for r in records]
        if any(r.chip_accs for r in records)
        else [],
        "val_fault_rate": records[-1].val_rate if records else None,
    }


def run_train(
    config: dict[str, Any], inputs: dict[str, dict[str, Any]], ctx: JobContext
) -> dict[str, Any]:
    from archsim.train import make_spec, train

    pin_torch_threads()
    checked_hardware(config)

    prune = config["prune"] or {}
    init = inputs.get("init")
    spec = make_spec(
        model=config["net"],
        width=config["width"],
        options=config["options"],
        dataset=config["dataset"],
        limit=config.get("limit"),
        val_limit=config.get("val_limit"),
        pad_to=config.get("pad_to"),
        method=config["method"],
        rate=0.0 if config["method"] in ("standard", "progressive") else config["rate"],
        rates=tuple(config["rates"]) if config["method"] == "progressive" else (),
        fault_model=config["fault_model"],
        init_from=str(ctx.resolve(init["checkpoint"])) if init else None,
        prune=prune.get("method"),
        sparsity=prune.get("sparsity", 0.0),
        admm_epochs=prune.get("admm_epochs", 0),
        epochs=config["epochs"],
        batch_size=config["batch_size"],
        lr=config["lr"],
        schedule=config["lr_schedule"],
        policy=config["policy"],
        hardware=config["hardware"],
        val_rate=config["val_rate"],
        val_chips=config["val_chips"],
        seed=config["seed"],
        out_dir=str(ctx.workdir),
        output=str(ctx.workdir / CHECKPOINT),
        progress=False,
    )
    epochs = config["epochs"]
    result = train(spec, on_epoch=lambda r: ctx.status(f"epoch {r.epoch + 1}/{epochs}"))
    return {
        "checkpoint": ctx.relative(result.checkpoint),
        "net": config["net"],  # the spec's name of the net: what loads a user model's checkpoint
        "clean_acc": result.val_acc,
        "val_fault_acc": result.chip_acc,
        "curves": _curves(result.curves),
        "rram_layers": len(result.rram_layers),
        "sparsity": result.sparsity,
        "card": result.spec.card,
        "momentum": result.spec.momentum,
        "weight_decay": result.spec.weight_decay,
    }


def run_recalibrate(
    config: dict[str, Any], inputs: dict[str, dict[str, Any]], ctx: JobContext
) -> dict[str, Any]:
    import torch

    from archsim.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
    from archsim.data import iterate_batches
    from archsim.faults.inject import rram_layer_names
    from archsim.faults.malloc import keep_freed_memory
    from archsim.faults.mechanisms import training_cells
    from archsim.faults.presets import get_fault_model
    from archsim.faults.sites import cell_formats
    from archsim.mapping.mapper import map_model
    from archsim.mapping.options import MapOptions
    from archsim.train.recalibrate import recalibrate
    from archsim.train.runner import stream_seed

    pin_torch_threads()
    keep_freed_memory()  # as evaluate and train do: a worker whose first job is this one too

    source = ctx.resolve(inputs["model"]["checkpoint"])
    model, meta, _ = load_checkpoint(source, model=inputs["model"].get("net"))
    data = _training_split(config["dataset"], meta)
    mapping = map_model(
        model,
        data.input_shape,
        checked_hardware(config),
        options=MapOptions(policy=config["policy"]),
        model_name=meta["net"],
        width=meta["width"],
    )
    fault_model = get_fault_model(config["fault_model"])
    cells = cell_formats(mapping) if training_cells(fault_model) else None
    generator = torch.Generator().manual_seed(stream_seed(config["seed"], "recal"))
    batch_size = int(meta["spec"]["batch_size"])
    bn_sets = recalibrate(
        model,
        rram_layer_names(mapping),
        sorted(config["rates"]),
        fault_model,
        lambda: iterate_batches(data, batch_size, shuffle=False, augment=False, generator=None),
        generator,
        cells,
    )
    target = ctx.workdir / CHECKPOINT
    extra = read_checkpoint(source).extra
    new_meta = _recalibrated_meta(meta, config, list(bn_sets), ctx.relative(source))
    save_checkpoint(target, model, new_meta, bn_sets, extra or None)
    return {
        "checkpoint": ctx.relative(target),
        "net": inputs["model"].get("net"),
        "bn_sets": list(bn_sets),
        "rram_layers": len(rram_layer_names(mapping)),
    }


def _training_split(dataset: str, meta: dict[str, Any]) -> Dataset:
    """The checkpoint's training data read as its training read it (subset, padding)."""
    from archsim.data.inputs import InputHandling, load_split

    trained = meta.get("spec") or {}
    limit = trained.get("limit")
    handling = InputHandling(
        limit,
        trained.get("subset_seed") if limit else None,
        (meta.get("input") or {}).get("pad_to"),
    )
    return load_split(dataset, "train", None, handling)


def _recalibrated_meta(
    meta: dict[str, Any], config: dict[str, Any], bn_sets: list[str], source: str
) -> dict[str, Any]:
    """The recalibrated checkpoint's metadata: the trained one's (less its digest, format and
    provenance, which saving writes anew), its BatchNorm sets and what recalibrated them."""
    new_meta = {k: v for k, v in meta.items() if k not in ("sha256", "format", "provenance")}
    new_meta.update(
        bn_sets=bn_sets,
        recalibrated={
            "policy": config["policy"],
            "fault_model": config["fault_model"],
            "rates": sorted(config["rates"]),
            "from": source,
        },
    )
    return new_meta
