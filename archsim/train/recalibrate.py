"""BatchNorm recalibration per inference fault rate ("UpdateVar", drop-connect paper Alg. 1).

For each rate p': weights frozen (no gradients, no optimizer), only the BatchNorm layers in
train mode, running statistics reset with `momentum=None` (an exact cumulative average over the
pass), and the RRAM layers under the evaluation fault model at p' while one pass over the
training data runs. The statistics are copied out as a set keyed `bn_set_key(model, p')`; the
model's own statistics are restored afterwards, so "recalibration off" is simply the plain
model.

Faults are drawn fresh for every batch, not fixed for the pass. The stored set is used for
every chip of rate p' (each chip has its own fault map), so it should estimate the statistics
of the chip population, not of one chip: averaging over many fresh fault draws does exactly
that, while a mask fixed for the pass would tune the set to one arbitrary chip. Inference never
rescales, so neither does recalibration. Training images are used without augmentation, since
the statistics must match what inference sees.

`recalibrate_data` is the one driver both `archsim train --recalibrate` and `archsim recalibrate`
use: the same data order, batch size, fault generator (the run's `recal` stream) and number of
batches give the same sets bit for bit. The pass may stop after `batches` batches; the default
(`default_batches`) is the number of batches holding `DEFAULT_IMAGES` images, where the measured
error of the statistics against a full pass is already small (docs/bn-recalibration.md).
"""

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from itertools import islice
from time import perf_counter

import torch
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from archsim.data import Dataset, iterate_batches, num_batches
from archsim.errors import UserError
from archsim.faults.bnsets import bn_set_key
from archsim.faults.models import FaultModel
from archsim.faults.sites import CellFormat
from archsim.faults.technique import ChipTechnique, StatesTransform
from archsim.progress import progress_bar
from archsim.train.perturb import perturbed
from archsim.train.stochastic import StochasticFaults
from archsim.train.streams import stream_generator

Batches = Callable[[], Iterable[tuple[Tensor, Tensor]]]
BN_BUFFERS = ("running_mean", "running_var", "num_batches_tracked")
DEFAULT_IMAGES = 16_384  # 128 batches of 128: the measurement in docs/bn-recalibration.md
log = logging.getLogger(__name__)


def batchnorm_layers(model: nn.Module) -> dict[str, _BatchNorm]:
    """Every BatchNorm module that tracks running statistics, by qualified name."""
    return {
        name: m
        for name, m in model.named_modules()
        if isinstance(m, _BatchNorm) and m.track_running_stats
    }


def bn_statistics_of(model: nn.Module) -> dict[str, Tensor]:
    """Copies of the BatchNorm running statistics, keyed by buffer name ("bn1.running_mean")."""
    out: dict[str, Tensor] = {}
    for name, module in batchnorm_layers(model).items():
        for buffer in BN_BUFFERS:
            value = getattr(module, buffer, None)
            if isinstance(value, Tensor):
                out[f"{name}.{buffer}" if name else buffer] = value.detach().clone()
    return out


@contextmanager
def _calibration_mode(model: nn.Module) -> Iterator[None]:
    """BatchNorm layers in train mode with fresh cumulative statistics; everything restored."""
    layers = batchnorm_layers(model)
    modes = {name: m.training for name, m in model.named_modules()}
    momenta = {name: m.momentum for name, m in layers.items()}
    saved = bn_statistics_of(model)
    grads = {name: p.requires_grad for name, p in model.named_parameters()}
    try:
        model.eval()
        for module in layers.values():
            module.train()
            module.reset_running_stats()
            module.momentum = None
        for p in model.parameters():
            p.requires_grad_(False)
        yield
    finally:
        buffers = dict(model.named_buffers())
        with torch.no_grad():
            for key, value in saved.items():
                buffers[key].copy_(value)
        for name, module in layers.items():
            module.momentum = momenta[name]
        for name, module in model.named_modules():
            module.training = modes[name]
        for name, p in model.named_parameters():
            p.requires_grad_(grads[name])


# 9 parameters: the model and its layers, the rates and fault model, the pass's batches and
# generator, and three optional hooks (cell formats, progress, a technique's moved draws).
def recalibrate(
    model: nn.Module,
    layers: Sequence[str],
    rates: Sequence[float],
    fault_model: FaultModel,
    batches: Batches,
    generator: torch.Generator,
    cells: Mapping[str, CellFormat] | None = None,
    on_batch: Callable[[], None] | None = None,
    moved: Callable[[float], StatesTransform] | None = None,
) -> dict[str, dict[str, Tensor]]:
    """BatchNorm statistics for each rate, keyed `bn_set_key(fault_model.name, rate)`; the
    model is unchanged.

    `batches()` yields (images, labels) for one pass over the training data (already on the
    model's device or moved here); `on_batch` is called after each batch (progress bars).
    `moved(rate)`: the transform of a pass's fault draws, as chips with a technique hold
    them (`faults.technique`); the keys stay `bn_set_key`'s.
    """
    device = next(model.parameters()).device
    sets: dict[str, dict[str, Tensor]] = {}
    for rate in rates:
        transform = None if moved is None else moved(rate)
        sampler = (
            StochasticFaults(rate, fault_model, generator, cells, transform) if rate > 0 else None
        )
        with _calibration_mode(model), perturbed(model, layers, sampler), torch.no_grad():
            for images, _ in batches():
                model(images.to(device, non_blocking=True))
                if on_batch is not None:
                    on_batch()
            sets[bn_set_key(fault_model.name, rate)] = bn_statistics_of(model)
    return sets


def default_batches(images: int, batch_size: int) -> int:
    """Batches of a recalibration pass by default: enough for `DEFAULT_IMAGES` images, at most
    the whole training set."""
    return min(num_batches(images, batch_size), num_batches(DEFAULT_IMAGES, batch_size))


def pass_batches(images: int, batch_size: int, batches: int | None) -> int:
    """The batches a pass over `images` takes: `batches`, checked, or `default_batches`."""
    whole = num_batches(images, batch_size)
    count = default_batches(images, batch_size) if batches is None else batches
    if not 1 <= count <= whole:
        raise UserError(
            f"recalibration batches must be in [1, {whole}] (the whole training "
            f"set in batches of {batch_size}), got {count}"
        )
    return count


def _first_batches(
    data: Dataset, batch_size: int, count: int, device: torch.device, channels_last: bool
) -> Batches:
    """The first `count` unshuffled, unaugmented batches of `data`, anew at each call."""

    def batches() -> Iterator[tuple[Tensor, Tensor]]:
        every = iterate_batches(
            data,
            batch_size,
            shuffle=False,
            augment=False,
            generator=None,
            device=device,
            channels_last=channels_last,
        )
        return islice(every, count)

    return batches


@dataclass(frozen=True, kw_only=True)
class RecalData:
    """What a recalibration pass reads: the first `batches` unshuffled, unaugmented batches of
    `data` (None: `default_batches`), and the seed of its faults' `recal` stream."""

    data: Dataset
    batch_size: int
    seed: int
    batches: int | None = None
    channels_last: bool = False


def recalibrate_data(
    model: nn.Module,
    layers: Sequence[str],
    rates: Sequence[float],
    fault_model: FaultModel,
    source: RecalData,
    *,
    cells: Mapping[str, CellFormat] | None = None,
    progress: bool = False,
    technique: ChipTechnique | None = None,
) -> dict[str, dict[str, Tensor]]:
    """Recalibrate over `source`'s batches for each of the sorted `rates`, faults from the
    `recal` stream of its seed, moved as chips with `technique` hold them (its draws numbered
    from 0 under that seed); logs one line per rate."""
    data, batch_size, seed = source.data, source.batch_size, source.seed
    batches, channels_last = source.batches, source.channels_last
    whole = num_batches(len(data), batch_size)
    count = pass_batches(len(data), batch_size, batches)
    device = next(model.parameters()).device
    generator = stream_generator(seed, "recal", device)
    first = _first_batches(data, batch_size, count, device, channels_last)
    moved = None if technique is None else partial(technique.states, fault_model.name, seed=seed)
    ordered = sorted(rates)
    chips = fault_model.name if technique is None else f"{fault_model.name}+{technique.name}"
    sets: dict[str, dict[str, Tensor]] = {}
    with progress_bar(progress) as bar:
        task = bar.add_task("recalibrating BatchNorm", total=len(ordered) * count, status="")
        for rate in ordered:
            start = perf_counter()
            bar.update(task, status=f"{chips} at {rate:g}")
            passed = recalibrate(
                model,
                layers,
                [rate],
                fault_model,
                first,
                generator,
                cells=cells,
                on_batch=partial(bar.advance, task),
                moved=moved,
            )
            sets.update(passed)
            log.info(
                "recalibrated BatchNorm for %s at rate %g over %d of %d batches (%d "
                "images) in %.1fs",
                chips,
                rate,
                count,
                whole,
                min(count * batch_size, len(data)),
                perf_counter() - start,
            )
    return sets
