"""Per-epoch validation: fault-free accuracy and accuracy on a few fixed chips.

Without `--val-limit` the validation set follows the training set's size: a quarter of the
training images, at least 500, at most the test set (`default_val_limit`). A full 60,000-image
run still validates on a whole 10,000-image test set; a `--limit 2000` run validates on 500
instead of spending most of its time on validation (with 3 chips, 4 x 10,000 inferences per
2,000 training images).

The chips are chips 0..k-1 of `val_seed`, drawn by the fault simulator on the current mapping,
so the same physical fault maps are used every epoch and the per-epoch fluctuation the
linear-bottleneck study reports can be plotted. Chips use the evaluator's path (weights
quantized to the hardware's bits, faults swapped into the one model, running BatchNorm
statistics), so the curve shows what `archsim evaluate` would report for those chips.
The chips are evaluated with the weights in the default (contiguous) layout, the one the fault
injector indexes; a channels-last model is converted for that and back (same Parameters, same
values, so training continues bit for bit).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from archsim.faults.chip import ChipDrawer
from archsim.faults.inject import FaultInjector
from archsim.faults.models import FaultModel
from archsim.faults.montecarlo import accuracy
from archsim.mapping.records import Mapping


def default_val_limit(train_images: int) -> int:
    """Validation images for a run on `train_images` training images (see the module doc)."""
    return max(500, train_images // 4)


@dataclass(frozen=True)
class Validation:
    """Fixed validation data and chips for one run."""

    images: Tensor
    labels: Tensor
    mapping: Mapping
    fault_model: FaultModel
    rate: float
    chips: int
    seed: int
    batch_size: int = 256

    def run(self, model: nn.Module) -> tuple[float, tuple[float, ...]]:
        """(fault-free accuracy, per-chip accuracies) in percent."""
        clean = accuracy(model, self.images, self.labels, self.batch_size)
        if self.chips == 0 or not self.mapping.rram_layers:
            return clean, ()
        accs = []
        with _contiguous(model):
            injector = FaultInjector(model, self.mapping)
            drawer = ChipDrawer(
                injector.sites,
                self.fault_model,
                self.mapping.crossbar_rows,
                self.mapping.crossbar_cols,
            )
            for index in range(self.chips):
                chip = drawer.draw(self.rate, self.seed, index)
                with injector.applied(chip) as faulty:
                    accs.append(accuracy(faulty, self.images, self.labels, self.batch_size))
        return clean, tuple(accs)


@contextmanager
def _contiguous(model: nn.Module) -> Iterator[None]:
    """Within the block the model's tensors are contiguous; channels-last restored after."""
    channels_last = any(
        p.dim() == 4
        and not p.is_contiguous()
        and p.is_contiguous(memory_format=torch.channels_last)
        for p in model.parameters()
    )
    if not channels_last:
        yield
        return
    model.to(memory_format=torch.contiguous_format)  # type: ignore[call-overload]
    try:
        yield
    finally:
        model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
