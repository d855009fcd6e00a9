"""Monte-Carlo accuracy over simulated chips: per-chip accuracies and their statistics.

Accuracies are in percent. Chip i is drawn from (seed, i) and evaluated by swapping its faulted
weights into the one model (`FaultInjector.applied`). The adaptive mode stops once the 95%
interval's half-width is at most the target (after at least `min_chips` chips).
"""

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from archsim.faults.bnsets import TRAINING_STATISTICS, bn_statistics, select_bn_set
from archsim.faults.chip import ChipDrawer
from archsim.faults.inject import FaultInjector
from archsim.faults.records import ChipFaults
from archsim.faults.stats import Summary, summarize, t_half_width
from archsim.progress import progress_bar


@dataclass(frozen=True)
class RunInfo:
    """Provenance of an evaluation: what was evaluated, on what, mapped how."""

    model: str
    width: float
    dataset: str
    hardware: str
    policy: str
    weight_bits: int
    per_channel: bool = False
    checkpoint: str | None = None
    input: str = ""  # image shape, and padding if any (e.g. "1x32x32, padded to 32x32")


@dataclass(frozen=True)
class AccuracyResult:
    """Accuracy of one model at one fault rate over many chips (percent)."""

    info: RunInfo
    fault_model: str
    granularity: str
    rate: float | None  # set fault rate (None: a measured fault map)
    seed: int | None
    per_chip: tuple[float, ...]
    summary: Summary
    threshold: float | None
    float_accuracy: float | None = None
    quantized_accuracy: float | None = None
    realised_fraction: float = 0.0  # mean faulty fraction of units over the chips
    bn_set: str | None = None  # key of the recalibrated BatchNorm set used, if any
    adaptive_target: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def chips(self) -> int:
        return len(self.per_chip)

    def row(self) -> dict[str, Any]:
        """One output row (see `archsim evaluate`): `*_train_bn` are fault-free accuracies
        with the BatchNorm statistics training left; `mean` ... `yield` are over the chips,
        with the statistics `bn_set` names."""
        s = self.summary
        return {
            "rate": self.rate, "float_acc_train_bn": self.float_accuracy,
            "quant_acc_train_bn": self.quantized_accuracy, "mean": s.mean, "std": s.std,
            "ci_low": s.ci_low, "ci_high": s.ci_high, "p5": s.p5, "p50": s.p50, "p95": s.p95,
            "yield": s.yield_fraction, "chips": self.chips,
            "faulty_fraction": self.realised_fraction,
            "bn_set": self.bn_set or TRAINING_STATISTICS,
        }

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def accuracy(model: nn.Module, images: Tensor, labels: Tensor, batch_size: int = 256) -> float:
    """Top-1 accuracy in percent, in eval mode, without gradients."""
    if len(images) == 0:
        raise ValueError("no images to evaluate")
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    correct = 0
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            x = images[start:start + batch_size].to(device, non_blocking=True)
            y = labels[start:start + batch_size].to(device, non_blocking=True)
            correct += int((model(x).argmax(dim=1) == y).sum())
    model.train(was_training)
    return 100.0 * correct / len(images)


@dataclass(frozen=True)
class MonteCarloSpec:
    """How many chips, from which seed, and when to stop."""

    chips: int = 100
    seed: int = 0
    adaptive: float | None = None  # stop when the 95% CI half-width <= this (points)
    min_chips: int = 10
    threshold: float | None = None  # accuracy (%) a chip needs to count towards the yield
    batch_size: int = 256
    progress: bool = True


def _bn_choice(bn_sets: Mapping[str, Mapping[str, Tensor]] | None, fault_model: str,
               rate: float | None) -> tuple[str | None, tuple[str, ...]]:
    if not bn_sets:
        return None, ()
    key = None if rate is None else select_bn_set(bn_sets, fault_model, rate)
    if key is not None:
        return key, ()
    return None, (f"no BatchNorm set for {fault_model} at rate {rate} (sets: "
                  f"{', '.join(bn_sets)}); training statistics used",)


def run_chips(injector: FaultInjector, drawer: ChipDrawer | None, rate: float | None,
              images: Tensor, labels: Tensor, spec: MonteCarloSpec, info: RunInfo, *,
              fault_map: ChipFaults | None = None,
              bn_sets: Mapping[str, Mapping[str, Tensor]] | None = None,
              float_accuracy: float | None = None,
              quantized_accuracy: float | None = None) -> AccuracyResult:
    """Evaluate chips 0, 1, ... of `drawer` at `rate` (or the one measured `fault_map`)."""
    if (drawer is None) == (fault_map is None):
        raise ValueError("give exactly one of a chip drawer or a fault map")
    model_name = fault_map.fault_model if fault_map is not None else drawer.model.name
    key, notes = _bn_choice(bn_sets, model_name, rate)
    total = 1 if fault_map is not None else spec.chips
    accs: list[float] = []
    fractions: list[float] = []
    stats = bn_sets[key] if bn_sets and key else None
    with (progress_bar(spec.progress) as bar, bn_statistics(injector.model, stats),
          injector.session()):
        task = bar.add_task(f"rate {rate}", total=total, status="")
        for index in range(total):
            chip = fault_map if fault_map is not None else drawer.draw(rate, spec.seed, index)
            with injector.chip(chip) as model:
                accs.append(accuracy(model, images, labels, spec.batch_size))
            fractions.append(chip.faulty_fraction())
            half = t_half_width(accs)
            bar.update(task, advance=1, status=f"mean {sum(accs) / len(accs):.2f} ±{half:.2f}")
            if spec.adaptive is not None and len(accs) >= spec.min_chips and half <= spec.adaptive:
                break
    if spec.adaptive is not None and t_half_width(accs) > spec.adaptive:
        notes += (f"adaptive target ±{spec.adaptive} not reached in {len(accs)} chips",)
    granularity = fault_map.kind if fault_map is not None else drawer.model.granularity
    return AccuracyResult(
        info, model_name, granularity, rate, None if fault_map is not None else spec.seed,
        tuple(accs), summarize(accs, spec.threshold), spec.threshold, float_accuracy,
        quantized_accuracy, sum(fractions) / len(fractions), key, spec.adaptive, notes,
    )
