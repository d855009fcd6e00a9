"""Drop-connect on the RRAM layers (drop-connect paper, eq. 1; the authors' `F.dropout` on W).

Each forward pass draws a fresh Bernoulli mask per layer (one mask per mini-batch, shared by
the batch's images), zeroes the dropped weights and, by default, scales the survivors by
1/(1-p) so the expected pre-activation is unchanged. The result is `weight * mask`, so the loss
gradient reaches only the kept weights (a dropped weight's gradient is exactly 0).
Inference never rescales: that is the evaluator's fault model, not this module.
"""

from collections.abc import Sequence
from contextlib import AbstractContextManager

import torch
from torch import Tensor, nn

from archsim.errors import UserError
from archsim.train.perturb import perturbed


def check_drop_rate(rate: float) -> float:
    """A drop-connect rate in [0, 1) (1 would drop every weight and divide by zero)."""
    value = float(rate)
    if not 0.0 <= value < 1.0:
        raise UserError(f"drop-connect rate must be in [0, 1), got {rate}")
    return value


class DropConnect:
    """Sampler for `perturbed`: a fresh mask per layer per forward pass, from one generator.

    `last_masks[name]` holds the boolean keep-mask of the most recent forward pass, so tests
    and diagnostics can see exactly which weights a step dropped.
    """

    def __init__(self, rate: float, generator: torch.Generator, rescale: bool = True) -> None:
        self.rate = check_drop_rate(rate)
        self.generator = generator
        self.scale = 1.0 / (1.0 - self.rate) if rescale else 1.0
        self.last_masks: dict[str, Tensor] = {}

    def __call__(self, name: str, weight: Tensor) -> Tensor:
        if self.rate == 0.0:
            return weight
        # empty_like keeps the weight's memory format (channels-last on CPU), so the masked
        # weight needs no layout conversion before the convolution.
        noise = torch.empty_like(weight, requires_grad=False).uniform_(generator=self.generator)
        keep = noise >= self.rate
        self.last_masks[name] = keep
        # where(keep, scale, 0) is the scaled mask; d(out)/d(w) = mask, 0 for dropped weights.
        return weight * torch.where(keep, self.scale, 0.0).to(weight.dtype)


def drop_connect(
    model: nn.Module, names: Sequence[str], sampler: DropConnect | None
) -> AbstractContextManager[None]:
    """Within the block, the layers `names` train under `sampler`'s drop-connect masks."""
    return perturbed(model, names, sampler)
