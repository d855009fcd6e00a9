"""Hardware-aware training: the chip's programming variation and read noise in the forward pass.

`DeviceNoise` is a `perturb.Sampler`: every forward pass through an RRAM layer computes with
w + s_w x E, where E is the weight-code error that the layer's cells would carry on a chip of
the given device physics (docs/device-physics.md s.1-2), drawn fresh per mini-batch:

- the weight is quantized as the chip quantizes it (q = round(w / s_w), s_w = max|w| / qmax,
  no gradient through the quantization) and split into its cells (`effects.cell_slices`:
  offset or differential, `bits_per_cell` per slice);
- each cell gets N(0, sigma^2) levels, sigma^2 = the variation's sigma at the cell's level
  squared plus the read noise's (f L)^2;
- E = sum over a weight's cells of 2^(w (slices - 1 - s)) x error (minus for the negative
  array), what `crossbar.combine_slices` does to readings.

The loss gradient reaches w unchanged (the noise is an additive constant per step). Two
approximations against the evaluation path: the read noise is drawn once per weight per
mini-batch (on the chip every read draws its own), and columns are taken as unflipped (a
flipped column holds the complements, whose variation sigma differs).
"""

from collections.abc import Mapping

import torch
from torch import Tensor

from archsim.faults.crossbar import combine_slices
from archsim.faults.devices import DevicePhysics
from archsim.faults.effects import cell_slices
from archsim.faults.sites import CellFormat
from archsim.train.perturb import Sampler


class DeviceNoise:
    """Sampler for `perturbed`: the device physics' weight error, fresh per forward pass,
    after the `base` perturbation (drop-connect or stochastic faults) if any."""

    def __init__(
        self,
        physics: DevicePhysics,
        cells: Mapping[str, CellFormat],
        generator: torch.Generator,
        base: Sampler | None = None,
    ) -> None:
        self.physics, self.cells, self.generator, self.base = physics, cells, generator, base

    def __call__(self, name: str, weight: Tensor) -> Tensor:
        held = weight if self.base is None else self.base(name, weight)
        fmt = self.cells[name]
        with torch.no_grad():
            error = self.code_error(held.detach(), fmt)
        return held + error

    def code_error(self, weight: Tensor, fmt: CellFormat) -> Tensor:
        """One draw of s_w x E (shaped as `weight`) for the cells of `weight` in format `fmt`."""
        qmax = (1 << (fmt.weight_bits - 1)) - 1
        scale = float(weight.abs().max()) / qmax
        if scale == 0.0:
            return torch.zeros_like(weight)
        codes = torch.round(weight / scale).clamp_(-qmax, qmax)
        levels = cell_slices(codes, fmt).to(torch.float32)  # weight.shape + (cells,)
        cell_max = (1 << fmt.bits_per_cell) - 1
        variance = torch.zeros_like(levels)
        if self.physics.variation is not None:
            variance += self.physics.variation.level_sigma(levels, cell_max).square()
        variance += self.physics.read_sigma(cell_max) ** 2
        draw = torch.randn(levels.shape, generator=self.generator, device=levels.device)
        error = combine_slices(draw.mul_(variance.sqrt_()).flatten(-2), fmt)
        return (error * scale).reshape(weight.shape).to(weight.dtype)
