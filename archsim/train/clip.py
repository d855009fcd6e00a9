"""Max-weight clipping: after every optimizer step, each RRAM layer's |w| is bounded by K times
the layer's 99th-percentile |w| (`--method clipped --clip K`).

Why: a stuck-on weight reads sign(w) * max|w| of its layer (`faults.independent`), and the
8-bit quantizer's scale is max|w| / 127 (`faults.quantize`), so a layer whose largest weight
sits far above its typical weight turns every stuck-on fault into a large error. Clipping fixes
max|w| <= K * p99|w| during training, so the network learns with the bound it will have on
the chip. Weight clipping during training as a defence against random bit errors in quantized
weights is Stutz et al.'s (MLSys 2021, docs/sources.md); here the bound is relative to each
layer's own percentile, as the stuck-on value is per layer.

The percentile is an order statistic (the ceil(0.99 n)-th smallest |w|), not an interpolated
one: with K >= 1 clipping leaves every weight at or below it unchanged and every weight above it
still above it, so the percentile, and with it the bound, is the same after the clip as before
(the clip is idempotent, and one step's clip never shrinks the next step's bound).
"""

import math
from collections.abc import Mapping

import torch
from torch import Tensor

QUANTILE = 0.99  # which |w| the bound is a multiple of


def check_clip(k: float) -> float:
    """A clip multiple K >= 1 and finite (below 1 each clip would lower the next bound)."""
    value = float(k)
    if not (math.isfinite(value) and value >= 1.0):
        raise ValueError(
            f"--clip must be a finite multiple >= 1 of the 99th-percentile |w|, got {k}"
        )
    return value


def percentile_abs(weight: Tensor) -> Tensor:
    """The ceil(0.99 n)-th smallest |w| of a layer (a 0-dim tensor)."""
    flat = weight.detach().abs().reshape(-1)
    rank = max(1, math.ceil(QUANTILE * flat.numel()))
    return flat.kthvalue(rank).values


def clip_bound(weight: Tensor, k: float) -> Tensor:
    """K times the layer's 99th-percentile |w|: the largest |w| the clip allows."""
    return k * percentile_abs(weight)


@torch.no_grad()
def clip_weights_(weights: Mapping[str, Tensor], k: float) -> None:
    """Clamp every layer of `weights` in place to [-bound, bound], bound = `clip_bound`."""
    for weight in weights.values():
        bound = clip_bound(weight, k)
        weight.clamp_(-bound, bound)
