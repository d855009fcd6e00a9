"""BatchNorm recalibration per inference fault rate ("UpdateVar", drop-connect paper Alg. 1).

For each rate p': weights frozen (no gradients, no optimizer), only the BatchNorm layers in
train mode, running statistics reset with `momentum=None` (an exact cumulative average over the
pass), and the RRAM layers under the evaluation fault model at p' while one pass over the
training data runs. The statistics are copied out as a set keyed `bn_set_key(p')`; the model's
own statistics are restored afterwards, so "recalibration off" is simply the plain model.

Faults are drawn fresh for every batch, not fixed for the pass. The stored set is used for
every chip of rate p' (each chip has its own fault map), so it should estimate the statistics
of the chip population, not of one chip: averaging over many fresh fault draws does exactly
that, while a mask fixed for the pass would tune the set to one arbitrary chip. Inference never
rescales, so neither does recalibration. Training images are used without augmentation, since
the statistics must match what inference sees.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import torch
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from archsim.faults.bnsets import bn_set_key
from archsim.faults.models import FaultModel
from archsim.faults.sites import CellFormat
from archsim.train.perturb import perturbed
from archsim.train.stochastic import StochasticFaults

Batches = Callable[[], Iterable[tuple[Tensor, Tensor]]]
BN_BUFFERS = ("running_mean", "running_var", "num_batches_tracked")


def batchnorm_layers(model: nn.Module) -> dict[str, _BatchNorm]:
    """Every BatchNorm module that tracks running statistics, by qualified name."""
    return {
        name: m for name, m in model.named_modules()
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


def recalibrate(model: nn.Module, layers: Sequence[str], rates: Sequence[float],
                fault_model: FaultModel, batches: Batches, generator: torch.Generator,
                cells: Mapping[str, CellFormat] | None = None,
                on_batch: Callable[[], None] | None = None) -> dict[str, dict[str, Tensor]]:
    """BatchNorm statistics for each rate, keyed `bn_set_key(rate)`; the model is unchanged.

    `batches()` yields (images, labels) for one pass over the training data (already on the
    model's device or moved here); `on_batch` is called after each batch (progress bars).
    """
    device = next(model.parameters()).device
    sets: dict[str, dict[str, Tensor]] = {}
    for rate in rates:
        sampler = StochasticFaults(rate, fault_model, generator, cells) if rate > 0 else None
        with _calibration_mode(model), perturbed(model, layers, sampler), torch.no_grad():
            for images, _ in batches():
                model(images.to(device, non_blocking=True))
                if on_batch is not None:
                    on_batch()
            sets[bn_set_key(rate)] = bn_statistics_of(model)
    return sets
