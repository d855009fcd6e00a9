"""Independent faults: each weight (`weight`) or each mapped crossbar cell (`cell`) is faulty
with probability `rate`, stuck-on with probability p_on, else stuck-off.

Chips: a Bernoulli process per layer over its flattened units (`draw.bernoulli_positions`),
one stream per (seed, chip, granularity:layer) for replica 0 and one more for the other
replicas of a replicated layer, drawn at once over their copy dimension (so replica 0's faults
are the same whether or not the layer is replicated). Training: a dense draw from the caller's
`torch.Generator` per forward pass. Weight faults force the weight to 0 (stuck-off) or to
sign(w) * max|w| of the layer (stuck-on), with zero gradient; cell faults quantize the layer to
`cells.weight_bits`, force the faulty cells, and give each weight with a faulty cell its faulted
value with a straight-through gradient. Survivors pass through with gradient 1.
"""

import math
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor

from archsim.faults.draw import bernoulli_positions, draw_kinds, unit_rng
from archsim.faults.effects import cell_effect_dense
from archsim.faults.mechanism import Drawing, Mechanism, not_sampled
from archsim.faults.models import OK, STUCK_OFF, STUCK_ON, FaultModel
from archsim.faults.quantize import quantize_weight
from archsim.faults.records import LayerFaults, StateKind
from archsim.faults.sites import CellFormat, FaultSite, Sites


def dense_states(
    shape: torch.Size | tuple[int, ...],
    rate: float,
    p_on: float,
    generator: torch.Generator,
    device: torch.device,
) -> Tensor:
    """int8 states of a dense block of units, each faulty with `rate` (training draws)."""
    u = torch.rand(shape, generator=generator, device=device)
    v = torch.rand(shape, generator=generator, device=device)
    kind = torch.where(v < p_on, STUCK_ON, STUCK_OFF).to(torch.int8)
    return torch.where(u < rate, kind, torch.full_like(kind, OK))


def weight_effect(weight: Tensor, states: Tensor) -> Tensor:
    """`weight` with its weight-granularity `states` (same shape) forced: stuck-off -> 0,
    stuck-on -> sign(w) * max|w| of the layer, both with zero gradient."""
    with torch.no_grad():
        sign = torch.where(weight < 0, -1.0, 1.0).to(weight.dtype)
        stuck_on = sign * weight.abs().max()
    out = torch.where(states == STUCK_OFF, torch.zeros_like(weight), weight)
    return torch.where(states == STUCK_ON, stuck_on, out)


class _IndependentDrawing:
    def __init__(
        self, mechanism: "_Independent", sites: tuple[FaultSite, ...], model: FaultModel
    ) -> None:
        self.mechanism, self.sites, self.model = mechanism, sites, model

    def draw(self, rate: float, seed: int, chip: int) -> dict[str, LayerFaults]:
        out = {}
        for site in self.sites:
            shape = self.mechanism.shape(site)
            units = math.prod(shape) // site.copies  # one replica's
            key = f"{self.mechanism.granularity}:{site.name}"
            rng = unit_rng(seed, chip, key)
            index = bernoulli_positions(rng, units, rate)
            kind = draw_kinds(rng, len(index), self.model.p_on)
            if site.copies > 1:  # replicas 1.. at once, over their copy dimension
                more = unit_rng(seed, chip, f"{key}@replicas")
                others = bernoulli_positions(more, units * (site.copies - 1), rate) + units
                index = np.concatenate((index, others))
                kind = np.concatenate((kind, draw_kinds(more, len(others), self.model.p_on)))
            out[site.name] = LayerFaults(shape, torch.from_numpy(index), torch.from_numpy(kind))
        return out


class _Independent(Mechanism):
    trainable: ClassVar[bool] = True

    def shape(self, site: FaultSite) -> tuple[int, ...]:
        return site.weights_shape if self.kind == "weight" else site.cell_shape

    def prepare(self, sites: Sites, model: FaultModel, rows: int, cols: int) -> Drawing:
        return _IndependentDrawing(self, sites, model)


class WeightFaults(_Independent):
    """`weight`: each weight faulty independently (both papers simulate this)."""

    granularity: ClassVar[str] = "weight"
    kind: ClassVar[StateKind] = "weight"

    def sample(
        self,
        weight: Tensor,
        rate: float,
        model: FaultModel,
        generator: torch.Generator,
        cells: CellFormat | None,
    ) -> Tensor:
        return weight_effect(
            weight, dense_states(weight.shape, rate, model.p_on, generator, weight.device)
        )


class CellFaults(_Independent):
    """`cell`: each mapped crossbar cell faulty independently."""

    granularity: ClassVar[str] = "cell"
    kind: ClassVar[StateKind] = "cell"
    trains_on_cells: ClassVar[bool] = True

    def sample(
        self,
        weight: Tensor,
        rate: float,
        model: FaultModel,
        generator: torch.Generator,
        cells: CellFormat | None,
    ) -> Tensor:
        if cells is None:
            raise not_sampled(model)
        states = dense_states(
            (*weight.shape, cells.cells_per_weight), rate, model.p_on, generator, weight.device
        )
        with torch.no_grad():
            q = quantize_weight(weight, cells.weight_bits)
            faulted = q.dequantize(cell_effect_dense(q.codes, states, cells)).to(weight.dtype)
        hit = (states != OK).any(dim=-1)
        return torch.where(hit, weight + (faulted - weight).detach(), weight)
