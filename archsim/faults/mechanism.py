"""What a fault mechanism is: how faults of one granularity are drawn on a chip and sampled
during training.

A mechanism is one object per granularity (`weight`, `cell`, `row`, `column`, `cluster`),
registered by that name in `mechanisms.py`; the rest of the simulator asks the registry instead
of testing granularity strings. Its hooks:

- `kind`: the states its chips hold, per weight or per crossbar cell (`records.StateKind`);
  `FaultInjector` applies either kind to the weights (`effects.py`).
- `prepare(sites, model, rows, cols)`: the per-chip drawer over fixed fault sites (`Drawing`),
  built once; its `draw(rate, seed, chip)` gives one chip's faults per layer.
- `trainable` / `sample(...)`: a fresh, differentiable fault draw on one weight tensor for
  fault-aware training; `trains_on_cells` says whether that needs the layer's cell format.
"""

from abc import ABC, abstractmethod
from typing import ClassVar, Protocol

import torch
from torch import Tensor

from archsim.errors import UserError
from archsim.faults.models import FaultModel
from archsim.faults.records import LayerFaults, StateKind
from archsim.faults.sites import CellFormat, Sites


class Drawing(Protocol):
    """A mechanism's drawer over one set of fault sites."""

    def draw(self, rate: float, seed: int, chip: int) -> dict[str, LayerFaults]:
        """Per RRAM layer, the faults of chip `chip` of `seed` at `rate` (rate checked)."""
        ...


class Mechanism(ABC):
    """One granularity's draw and training-sample hooks (see the module doc)."""

    granularity: ClassVar[str]
    kind: ClassVar[StateKind]
    trainable: ClassVar[bool] = False  # `sample` draws training-time faults
    trains_on_cells: ClassVar[bool] = False  # `sample` needs the layer's cell format

    @abstractmethod
    def prepare(self, sites: Sites, model: FaultModel, rows: int, cols: int) -> Drawing:
        """The drawer of `model`'s chips over `sites` on crossbars of `rows` x `cols` cells."""

    def sample(
        self,
        weight: Tensor,
        rate: float,
        model: FaultModel,
        generator: torch.Generator,
        cells: CellFormat | None,
    ) -> Tensor:
        """`weight` with freshly drawn faults (training); refused unless `trainable`."""
        raise not_sampled(model)


def not_sampled(model: FaultModel) -> UserError:
    """The error for a fault model that cannot be sampled on one weight tensor."""
    return UserError(
        f"fault model {model.name!r} ({model.granularity}) cannot be sampled per weight "
        "tensor: use a weight or cell fault model (cell needs the layer's cell format)"
    )
