"""BatchNorm statistics recalibrated per fault rate, and swapping them into a model.

A checkpoint may hold named sets `{rate key: {buffer name: tensor}}` (the training engineer's
"UpdateVar" recalibration); the evaluator uses the set whose rate equals the chip's rate, and
otherwise the model's plain statistics, saying so.
"""

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import torch
from torch import Tensor, nn

from archsim.errors import UserError


def bn_set_key(rate: float) -> str:
    """The name of the BatchNorm set recalibrated at `rate` (e.g. 0.1 -> "0.1")."""
    return repr(float(rate))


def select_bn_set(bn_sets: Mapping[str, object] | None, rate: float) -> str | None:
    """The key of the set recalibrated at exactly `rate` (keys are parsed as numbers)."""
    for key in bn_sets or {}:
        try:
            value = float(key)
        except ValueError:
            continue
        if math.isclose(value, rate, rel_tol=1e-9, abs_tol=1e-12):
            return key
    return None


@contextmanager
def bn_statistics(model: nn.Module, stats: Mapping[str, Tensor] | None) -> Iterator[nn.Module]:
    """Within the block, the model's BatchNorm buffers hold `stats`; restored afterwards."""
    if not stats:
        yield model
        return
    buffers = dict(model.named_buffers())
    unknown = sorted(set(stats) - set(buffers))
    if unknown:
        raise UserError(f"BatchNorm set names buffers the model does not have: {unknown[:3]}")
    saved = {name: buffers[name].detach().clone() for name in stats}
    try:
        with torch.no_grad():
            for name, value in stats.items():
                buffers[name].copy_(value)
        yield model
    finally:
        with torch.no_grad():
            for name, value in saved.items():
                buffers[name].copy_(value)
