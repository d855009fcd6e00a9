"""Symmetric uniform quantization of a layer's weights to the hardware's weight bits.

A weight w becomes the integer code q = round(w / scale) clipped to [-qmax, qmax] with
qmax = 2**(bits-1) - 1 and scale = max|w| / qmax, taken over the whole layer or per output
channel (dimension 0). Faults act on the codes; `dequantize` turns codes back into weights.
A layer (or channel) whose weights are all zero gets scale 0, so nothing can make it non-zero.
"""

from dataclasses import dataclass

import torch
from torch import Tensor

from archsim.errors import UserError


@dataclass(frozen=True)
class QuantizedWeight:
    """Integer codes (int64, the weight's shape) and the float scale that maps them back."""

    codes: Tensor
    scale: Tensor  # shape () per layer, or (cout, 1, ..., 1) per output channel
    bits: int

    @property
    def qmax(self) -> int:
        return qmax_for(self.bits)

    def dequantize(self, codes: Tensor | None = None) -> Tensor:
        """Weights for `codes` (default: the fault-free codes) at this layer's scale."""
        chosen = self.codes if codes is None else codes
        return chosen.to(self.scale.dtype) * self.scale

    def dequantize_at(self, flat_index: Tensor, codes: Tensor) -> Tensor:
        """Weights for `codes` held at flat positions `flat_index` of the layer (positions
        may count several copies of it: copy c's position i is c x numel + i)."""
        if self.scale.dim() == 0:
            return codes.to(self.scale.dtype) * self.scale
        channel = flat_index // self.codes[0].numel() % self.codes.shape[0]
        return codes.to(self.scale.dtype) * self.scale.reshape(-1)[channel]


def qmax_for(bits: int) -> int:
    """Largest code of a symmetric `bits`-bit quantizer."""
    if not 2 <= bits <= 32:
        raise UserError(f"symmetric weight quantization needs 2..32 bits, got {bits}")
    return (1 << (bits - 1)) - 1


def quantize_weight(weight: Tensor, bits: int, per_channel: bool = False) -> QuantizedWeight:
    """Quantize `weight` symmetrically to `bits` bits (per layer, or per output channel)."""
    qmax = qmax_for(bits)
    w = weight.detach().to(torch.float32)
    if per_channel and w.dim() > 1:
        max_abs = w.abs().reshape(w.shape[0], -1).amax(dim=1)
        max_abs = max_abs.reshape(-1, *([1] * (w.dim() - 1)))
    else:
        max_abs = w.abs().amax()
    scale = max_abs / qmax
    safe = torch.where(scale > 0, scale, torch.ones_like(scale))
    codes = torch.round(w / safe).clamp_(-qmax, qmax).to(torch.int64)
    return QuantizedWeight(codes=codes, scale=scale, bits=bits)
