"""Fold an inference BatchNorm into the convolution (or linear layer) before it.

In evaluation mode BN computes y = (x - mu) / sqrt(var + eps) * gamma + beta per channel, an
affine map, so conv followed by BN equals one conv with

    w' = w * gamma / sqrt(var + eps)        (per output channel)
    b' = (b - mu) * gamma / sqrt(var + eps) + beta

This is how the cost model runs BN by default (`operation.batchnorm: folded`): the folded
weights are what the crossbars hold and the bias rides on the partial-sum merge.
"""

from typing import cast

import torch
from torch import nn


def fold_batchnorm(
    layer: nn.Conv2d | nn.Linear, bn: nn.BatchNorm2d | nn.BatchNorm1d
) -> nn.Conv2d | nn.Linear:
    """A new layer equal to `bn(layer(x))` with `bn` in evaluation mode (inputs unchanged)."""
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("BatchNorm without running statistics cannot be folded")
    out_features = layer.out_channels if isinstance(layer, nn.Conv2d) else layer.out_features
    if bn.num_features != out_features:
        raise ValueError(f"BatchNorm of {bn.num_features} channels cannot follow a layer with "
                         f"{out_features} outputs")  # fmt: skip
    with torch.no_grad():
        gamma = bn.weight if bn.affine else torch.ones_like(bn.running_var)
        beta = bn.bias if bn.affine else torch.zeros_like(bn.running_mean)
        scale = gamma / torch.sqrt(bn.running_var + bn.eps)
        bias = layer.bias if layer.bias is not None else torch.zeros_like(bn.running_mean)
        folded = _copy_with_bias(layer)
        shape = (-1,) + (1,) * (layer.weight.dim() - 1)
        folded.weight.copy_(layer.weight * scale.reshape(shape))
        assert folded.bias is not None
        folded.bias.copy_((bias - bn.running_mean) * scale + beta)
    return folded


def _copy_with_bias(layer: nn.Conv2d | nn.Linear) -> nn.Conv2d | nn.Linear:
    factory = {"device": layer.weight.device, "dtype": layer.weight.dtype}
    if isinstance(layer, nn.Linear):
        return nn.Linear(layer.in_features, layer.out_features, bias=True, **factory)
    # torch types these as 2-tuples; a Conv2d's own values always are
    pair = cast("tuple[int, int]", layer.kernel_size)
    stride, dilation = (
        cast("tuple[int, int]", layer.stride),
        cast("tuple[int, int]", layer.dilation),
    )
    padding = cast("str | tuple[int, int]", layer.padding)
    return nn.Conv2d(
        layer.in_channels,
        layer.out_channels,
        pair,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=layer.groups,
        bias=True,
        padding_mode=layer.padding_mode,
        **factory,
    )
