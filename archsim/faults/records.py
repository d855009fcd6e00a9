"""Fault maps in memory: per layer the flat indices of the faulty units and their kinds.

A unit is a weight ("weight" maps) or a crossbar cell ("cell" maps: the weight's shape plus a
last dimension of `cells_per_weight` cells). Keeping only the faulty units makes drawing and
injecting cost O(faults), not O(cells): VGG-13 has 75 M ISAAC cells.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor

from archsim.faults.models import OK

StateKind = Literal["weight", "cell"]


@dataclass(frozen=True, eq=False)
class LayerFaults:
    """Faulty units of one layer: flat indices (int64) into `shape` and kinds (int8)."""

    shape: tuple[int, ...]
    index: Tensor
    kind: Tensor  # STUCK_OFF or STUCK_ON, one per index

    @property
    def units(self) -> int:
        return int(torch.Size(self.shape).numel())

    @property
    def faults(self) -> int:
        return int(self.index.numel())

    def dense(self) -> Tensor:
        """The int8 state of every unit (OK / STUCK_OFF / STUCK_ON), shaped `shape`."""
        states = torch.full((self.units,), OK, dtype=torch.int8)
        states[self.index.cpu()] = self.kind.cpu().to(torch.int8)
        return states.reshape(self.shape)

    @classmethod
    def from_dense(cls, states: Tensor) -> "LayerFaults":
        flat = states.reshape(-1)
        index = torch.nonzero(flat != OK).reshape(-1)
        return cls(tuple(states.shape), index, flat[index].to(torch.int8))


@dataclass(frozen=True, eq=False)
class ChipFaults:
    """Fault map of one chip: `LayerFaults` per RRAM layer (qualified module name)."""

    kind: StateKind
    layers: Mapping[str, LayerFaults]
    fault_model: str
    rate: float | None  # the set rate (None for a measured map)
    seed: int | None = None
    chip: int | None = None
    meta: Mapping[str, object] = field(default_factory=dict)

    def faulty_fraction(self) -> float:
        """Realised fraction of faulty units (weights or cells) over all layers."""
        total = sum(lf.units for lf in self.layers.values())
        return sum(lf.faults for lf in self.layers.values()) / total if total else 0.0

    def dense(self) -> dict[str, Tensor]:
        return {name: lf.dense() for name, lf in self.layers.items()}
