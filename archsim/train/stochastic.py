"""Stochastic fault-tolerant training (Wang et al., Algorithm 1): one-shot and progressive.

Fine-tuning a (pretrained) model while every forward pass sees freshly drawn stuck-at faults on
the RRAM layers, drawn by the fault simulator's `sample_faulty_weights` (stuck-off -> 0,
stuck-on -> sign(w) * max|w| of the layer for weight granularity; faulty cells of the mapped
crossbar for cell granularity). Faulty weights carry no gradient; survivors train as usual.

- one-shot: one stage at the target rate P_sa^T for `epochs` epochs.
- progressive: one stage per rate of an ascending list [P^0, ..., P^T], `epochs` epochs each
  (Algorithm 1 lines 19-21: `for P in P_list: for ep in M_epoch`), each stage restarting the
  learning-rate schedule as the paper's per-stage fine-tuning does.

The same sampler, with the evaluation fault model, serves BatchNorm recalibration; given a
technique's `transform` (`faults.technique`), each weight-fault draw is first moved as a chip
with that technique would hold it (the same random numbers as without).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

import torch
from torch import Tensor

from archsim.errors import UserError
from archsim.faults.independent import dense_states, weight_effect
from archsim.faults.inject import sample_faulty_weights
from archsim.faults.mechanisms import mechanism_of
from archsim.faults.models import FaultModel
from archsim.faults.sites import CellFormat
from archsim.faults.technique import StatesTransform


@dataclass(frozen=True)
class Stage:
    """One block of epochs trained at one fault (or drop-connect) rate."""

    index: int
    rate: float
    epochs: int


def check_rates(rates: Sequence[float]) -> tuple[float, ...]:
    """Progressive rates: non-empty, each in (0, 1), strictly ascending."""
    values = tuple(float(r) for r in rates)
    if not values:
        raise UserError("progressive training needs --rates, an ascending list like 0.01,0.05")
    if any(not 0.0 < r < 1.0 for r in values):
        raise UserError(f"progressive rates must be in (0, 1), got {list(values)}")
    if any(b <= a for a, b in pairwise(values)):
        raise UserError(f"progressive rates must be strictly ascending, got {list(values)}")
    return values


def stages_for(method: str, rate: float, rates: Sequence[float], epochs: int) -> tuple[Stage, ...]:
    """The stages of a method: one for standard / dropconnect / oneshot, one per progressive
    rate (`epochs` is per stage)."""
    if method == "progressive":
        return tuple(Stage(i, r, epochs) for i, r in enumerate(check_rates(rates)))
    return (Stage(0, 0.0 if method == "standard" else rate, epochs),)


class StochasticFaults:
    """Sampler for `perturbed`: fresh stuck-at faults per layer per forward pass, no rescale."""

    def __init__(
        self,
        rate: float,
        fault_model: FaultModel,
        generator: torch.Generator,
        cells: Mapping[str, CellFormat] | None = None,
        transform: StatesTransform | None = None,
    ) -> None:
        mechanism = mechanism_of(fault_model)
        if not mechanism.trainable:
            raise UserError(
                f"fault model {fault_model.name!r} ({fault_model.granularity} faults) cannot be "
                "sampled during training; use a weight or cell fault model (e.g. sft)"
            )
        if transform is not None and fault_model.granularity != "weight":
            raise UserError(
                f"a fault-tolerance technique needs weight-granularity faults; "
                f"{fault_model.name} draws {fault_model.granularity} faults"
            )
        if mechanism.trains_on_cells and cells is None:
            raise ValueError(f"{fault_model.granularity} faults need the layers' cell formats")
        self.rate = rate
        self.fault_model = fault_model
        self.generator = generator
        self.cells = cells if mechanism.trains_on_cells else None
        self.transform = transform

    def __call__(self, name: str, weight: Tensor) -> Tensor:
        if self.rate == 0.0:
            return weight
        if self.transform is not None:  # the same draw as the plain sampler's, then moved
            p_on = self.fault_model.p_on
            states = dense_states(weight.shape, self.rate, p_on, self.generator, weight.device)
            return weight_effect(weight, self.transform(name, states))
        cells = self.cells[name] if self.cells else None
        return sample_faulty_weights(weight, self.rate, self.fault_model, self.generator, cells)
