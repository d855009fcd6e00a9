"""One epoch of the plain training loop: SGD or Adam under an optional weight perturbation.

Per step: set the learning rate from the schedule, forward (the perturbation draws a fresh
drop-connect mask or fault sample per layer), cross-entropy (+ the ADMM penalty in an ADMM
phase), backward, zero the gradients of pruned weights, optimizer step, re-zero pruned weights,
clip each layer's |w| to K x its 99th-percentile |w| (`--method clipped`, train/clip.py).
Nothing else happens per step: losses are summed on the device and read once per epoch.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from archsim.train.clip import clip_weights_
from archsim.train.perturb import Sampler, perturbed
from archsim.train.prune import ADMM, PruneMasks


@dataclass
class EpochParts:
    """What changes the plain step: perturbation, pruning masks, ADMM penalty, clip."""

    layers: Sequence[str]
    weights: Mapping[str, Tensor]  # the RRAM layers' weight Parameters (unperturbed)
    sampler: Sampler | None = None
    masks: PruneMasks | None = None
    admm: ADMM | None = None
    clip: float | None = None  # K of `--method clipped`: |w| <= K x p99|w| after every step


def train_epoch(
    model: nn.Module,
    batches: Iterable[tuple[Tensor, Tensor]],
    optimizer: torch.optim.Optimizer,
    parts: EpochParts,
    lr_at: Callable[[int], float],
    on_step: Callable[[], None] | None = None,
) -> tuple[float, float]:
    """Train one pass over `batches`; returns (mean loss, accuracy in percent)."""
    model.train()
    device = next(model.parameters()).device
    loss_sum = torch.zeros((), device=device, dtype=torch.float64)
    correct = torch.zeros((), device=device, dtype=torch.int64)
    seen = 0
    with perturbed(model, parts.layers, parts.sampler):
        for step, (images, labels) in enumerate(batches):
            lr = lr_at(step)
            for group in optimizer.param_groups:
                group["lr"] = lr
            logits = model(images)
            loss = F.cross_entropy(logits, labels)
            total = loss if parts.admm is None else loss + parts.admm.penalty(parts.weights)
            optimizer.zero_grad(set_to_none=True)
            torch.autograd.backward(total)
            if parts.masks is not None:
                parts.masks.mask_grads_(parts.weights)
            optimizer.step()
            if parts.masks is not None:
                parts.masks.apply_(parts.weights)
            if parts.clip is not None:
                clip_weights_(parts.weights, parts.clip)
            with torch.no_grad():
                loss_sum += loss.detach().double() * len(labels)
                correct += (logits.argmax(dim=1) == labels).sum()
            seen += len(labels)
            if on_step is not None:
                on_step()
    if seen == 0:
        raise ValueError("no training batches")
    return float(loss_sum) / seen, 100.0 * int(correct) / seen
