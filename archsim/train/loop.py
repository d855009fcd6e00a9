"""The explicit training loop over a run's epochs: train, validate, record, save, repeat.

Each epoch: draws its batches from the data generator (shuffle + the dataset's augmentation),
trains under the epoch's perturbation (drop-connect mask or stochastic faults, fresh per
mini-batch, from the noise generator), validates fault-free and on the fixed chips, appends the
epoch to the curves and atomically saves the run state, so an interruption loses at most the
epoch in progress. A progress bar (rich, on stderr) shows the steps, and a line per epoch
(loss, fault-free and chip validation accuracy, time) is printed above it; without the bar the
same line is logged (logger `archsim.train.loop`, level INFO: `archsim train` shows it on
stderr, a sweep keeps it quiet).
"""

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from time import perf_counter
from typing import Any

from torch import Tensor

from archsim.data import Dataset, iterate_batches, num_batches
from archsim.faults.devices import NO_PHYSICS, DevicePhysics
from archsim.faults.models import FaultModel
from archsim.faults.sites import CellFormat
from archsim.progress import progress_bar
from archsim.train.devicenoise import DeviceNoise
from archsim.train.dropconnect import DropConnect
from archsim.train.epoch import EpochParts, train_epoch
from archsim.train.perturb import Sampler
from archsim.train.records import EpochRecord
from archsim.train.schedule import EpochPlan, learning_rate
from archsim.train.spec import TrainSpec
from archsim.train.state import RunState, save_state
from archsim.train.stochastic import StochasticFaults
from archsim.train.validate import Validation

OnEpoch = Callable[[EpochRecord], None]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSetup:
    """The fixed parts of a run the loop needs."""

    spec: TrainSpec
    train_data: Dataset
    layers: Sequence[str]
    weights: Mapping[str, Tensor]
    fault_model: FaultModel
    cells: dict[str, CellFormat] | None
    validation: Validation
    state_path: Path
    meta: dict[str, Any]
    physics: DevicePhysics = NO_PHYSICS  # device noise in the forward pass (train/devicenoise)
    noise_cells: dict[str, CellFormat] | None = None  # the RRAM layers' cells, with physics

    @property
    def drop_last(self) -> bool:
        # A last batch of one image breaks BatchNorm in train mode: drop it, only then.
        assert self.spec.batch_size is not None
        return len(self.train_data) % self.spec.batch_size == 1


def make_sampler(setup: RunSetup, plan: EpochPlan, state: RunState) -> Sampler | None:
    """The perturbation of one epoch: drop-connect, stochastic faults, or none; then the
    device physics' noise, if any."""
    if plan.phase != "train":
        return None
    noise = state.generators["noise"]
    base: Sampler | None = None  # rate 0: no mask or faults this epoch
    if plan.rate != 0.0 and setup.spec.method == "dropconnect":
        base = DropConnect(plan.rate, noise, setup.spec.rescale)
    elif plan.rate != 0.0:
        base = StochasticFaults(plan.rate, setup.fault_model, noise, setup.cells)
    if not setup.physics.active or setup.noise_cells is None:
        return base
    return DeviceNoise(setup.physics, setup.noise_cells, noise, base)


def _begin_phase(setup: RunSetup, plan: EpochPlan, state: RunState) -> None:
    """Hard-prune at the end of an ADMM phase (first training epoch after it)."""
    if setup.spec.prune != "admm" or plan.phase != "train" or plan.epoch != setup.spec.admm_epochs:
        return
    assert state.admm is not None
    pruned = state.admm.hard_prune(setup.weights)
    if state.masks is not None:  # an already pruned starting point keeps its zeros too
        pruned.masks = {k: m & state.masks.masks[k] for k, m in pruned.masks.items()}
        pruned.apply_(setup.weights)
    state.masks = pruned


def _train_pass(
    setup: RunSetup, plan: EpochPlan, state: RunState, steps: int, advance: Callable[[], None]
) -> tuple[float, float]:
    """One epoch's training over its shuffled, augmented batches under its perturbation:
    (loss, accuracy); an ADMM epoch then updates its auxiliary variables."""
    spec = setup.spec
    assert spec.batch_size is not None
    batches = iterate_batches(
        setup.train_data,
        spec.batch_size,
        shuffle=True,
        augment=True,
        generator=state.generators["data"],
        drop_last=setup.drop_last,
        device=next(state.model.parameters()).device,
        channels_last=spec.channels_last,
    )
    parts = EpochParts(
        setup.layers,
        setup.weights,
        make_sampler(setup, plan, state),
        state.masks,
        state.admm if plan.phase == "admm" else None,
        spec.clip if spec.method == "clipped" else None,
    )
    loss, acc = train_epoch(
        state.model,
        batches,
        state.optimizer,
        parts,
        partial(learning_rate, spec, plan, steps=steps),
        advance,
    )
    if plan.phase == "admm" and state.admm is not None:
        state.admm.update(setup.weights)
    return loss, acc


def run_epochs(
    setup: RunSetup, plans: Sequence[EpochPlan], state: RunState, on_epoch: OnEpoch | None = None
) -> None:
    """Train every epoch of `plans` not yet in `state.curves`, saving state after each."""
    spec = setup.spec
    assert spec.batch_size is not None
    steps = num_batches(len(setup.train_data), spec.batch_size, setup.drop_last)
    with progress_bar(spec.progress) as bar:
        for plan in plans[state.epochs_done :]:
            start = perf_counter()
            _begin_phase(setup, plan, state)
            task = bar.add_task(f"epoch {plan.epoch + 1}/{len(plans)}", total=steps, status="")
            loss, acc = _train_pass(setup, plan, state, steps, partial(bar.advance, task))
            bar.update(task, status="validating")
            val_start = perf_counter()
            clean, chips = setup.validation.run(state.model)
            val_seconds = perf_counter() - val_start
            bar.remove_task(task)
            record = EpochRecord(
                plan.epoch,
                plan.phase,
                plan.stage,
                plan.rate,
                learning_rate(spec, plan, 0, steps),
                loss,
                acc,
                clean,
                chips,
                setup.validation.rate,
                perf_counter() - start,
            )
            state.curves.append(record)
            save_state(setup.state_path, state, setup.meta)
            line = _epoch_line(record, len(plans), len(setup.validation.images), val_seconds)
            if spec.progress:
                bar.console.print(line, markup=False, highlight=False, soft_wrap=True)
            else:
                log.info("%s", line)
            if on_epoch is not None:
                on_epoch(record)


def _epoch_line(r: EpochRecord, total: int, val_images: int, val_seconds: float) -> str:
    chips = (
        f", {len(r.chip_accs)} chips@{r.val_rate:g} {r.chip_mean:.2f}"
        if r.chip_mean is not None
        else ""
    )
    return (
        f"epoch {r.epoch + 1}/{total} [{r.phase} rate {r.rate:g}] loss {r.train_loss:.4f} "
        f"train {r.train_acc:.2f}% val {r.val_acc:.2f}% on {val_images} images{chips} "
        f"({r.seconds:.1f}s, validation {val_seconds:.1f}s)"
    )
