"""Monte-Carlo accuracy over simulated chips: per-chip accuracies and their statistics.

Accuracies are in percent. Chip i is drawn from (seed, i) and evaluated by swapping its faulted
weights into the one model (`FaultInjector.applied`). By default every chip is scored on every
test image (exact per-chip accuracies); `images_per_chip` scores chip i on its own seeded subset
instead, a two-stage design whose interval counts both the spread between chips and the
sampling within them (`nested.py`), and "auto" picks that subset's size from a pilot. The
adaptive mode stops once the 95% interval of the reported figure (the mean, or the yield) is
at most the target (after at least `min_chips` chips); `chip_images` says what it cost.
"""

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import torch
from torch import Tensor, nn

from archsim.faults.batched import check_chips_per_pass, default_chips_per_pass
from archsim.faults.bnsets import (
    ON_THE_FLY,
    TRAINING,
    TRAINING_STATISTICS,
    BnChoice,
)
from archsim.faults.chip import ChipDrawer
from archsim.faults.inject import FaultInjector
from archsim.faults.nested import Allocation, Components
from archsim.faults.records import ChipFaults
from archsim.faults.sampler import Arm, ChipSampler, chip_drawer_source, correct_mask
from archsim.faults.sequential import Design, Sampled, mean_figure, sample
from archsim.faults.stats import Summary, summarize


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


@dataclass(frozen=True, kw_only=True)
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
    bn_set: str | None = None  # the BatchNorm statistics used (`bnsets.BnChoice.name`)
    adaptive_target: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    images_per_chip: int | None = None  # images each chip was scored on (None: not recorded)
    test_images: int | None = None  # N, the test set the chips' images came from
    chip_images: int = 0  # image evaluations under a chip, pilot included
    pilot: Components | None = None  # variance components measured by the pilot ("auto")
    allocation: Allocation | None = None  # what the pilot planned

    @property
    def chips(self) -> int:
        return len(self.per_chip)

    def row(self) -> dict[str, Any]:
        """One output row (see `archsim evaluate`): `*_train_bn` are fault-free accuracies
        with the BatchNorm statistics training left; `mean` ... `yield` are over the chips,
        with the statistics `bn_set` names."""
        s = self.summary
        return {
            "rate": self.rate,
            "float_acc_train_bn": self.float_accuracy,
            "quant_acc_train_bn": self.quantized_accuracy,
            "mean": s.mean,
            "std": s.std,
            "ci_low": s.ci_low,
            "ci_high": s.ci_high,
            "p5": s.p5,
            "p50": s.p50,
            "p95": s.p95,
            "yield": s.yield_fraction,
            "chips": self.chips,
            "faulty_fraction": self.realised_fraction,
            "bn_set": self.bn_set or TRAINING_STATISTICS,
            "images_per_chip": self.images_per_chip,
            "chip_images": self.chip_images,
        }

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def accuracy(model: nn.Module, images: Tensor, labels: Tensor, batch_size: int = 256) -> float:
    """Top-1 accuracy in percent, in eval mode, without gradients."""
    return percent(correct_mask(model, images, labels, batch_size))


def percent(correct: Tensor) -> float:
    """Accuracy in percent of a per-image correctness mask."""
    return 100.0 * int(correct.sum()) / len(correct)


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
    images_per_chip: int | Literal["auto"] | None = None  # None: every test image (exact)
    stop_on: Literal["mean", "yield"] = "mean"  # the adaptive mode's figure
    pilot_chips: int = 20  # "auto": chips and images of the pilot that measures the variances
    pilot_images: int = 500
    chip_cost: float = 20.0  # "auto": image-evaluations a chip costs beyond its images
    # chips scored at once when every chip sees every image (vmap, `batched.py`); None: the
    # device's default (1 on a CPU, 8 on a GPU)
    chips_per_pass: int | None = None

    def design(self, chips: int) -> Design:
        """The chip loop's design for up to `chips` chips."""
        return Design(
            chips,
            self.images_per_chip,
            self.adaptive,
            self.min_chips,
            self.stop_on,
            self.threshold,
            self.pilot_chips,
            self.pilot_images,
            self.chip_cost,
        )


def model_device(injector: FaultInjector) -> torch.device:
    return next(injector.model.parameters()).device


def per_pass(spec: MonteCarloSpec, chips: int, device: torch.device) -> int:
    """Chips per vmapped pass: the spec's (or the device's default), at most the chips."""
    wanted = spec.chips_per_pass or default_chips_per_pass(device)
    return max(1, min(check_chips_per_pass(wanted), chips))


@dataclass(frozen=True)
class ChipPlan:
    """Which chips a run scores: chips 0, 1, ... of `drawer` at `rate`, or the one measured
    chip `fault_map`."""

    drawer: ChipDrawer | None
    rate: float | None
    fault_map: ChipFaults | None = None

    def provenance(self, seed: int) -> tuple[str, str, int | None]:
        """(fault model, granularity, seed) of drawn chips or of the one measured map."""
        if self.fault_map is not None:
            return self.fault_map.fault_model, self.fault_map.kind, None
        assert self.drawer is not None
        return self.drawer.model.name, self.drawer.model.granularity, seed


@dataclass(frozen=True)
class FaultFree:
    """Fault-free accuracies (%) with the training statistics: float and quantized weights."""

    float_accuracy: float | None = None
    quantized_accuracy: float | None = None


@dataclass(frozen=True, kw_only=True)
class ArmLabel:
    """What an arm's `AccuracyResult` says besides its chips' scores: what ran, on which chips
    and with which BatchNorm statistics."""

    info: RunInfo
    fault_model: str
    granularity: str
    rate: float | None
    seed: int | None
    bn_set: str | None
    fault_free: FaultFree = FaultFree()


def run_chips(
    injector: FaultInjector,
    chips: ChipPlan,
    images: Tensor,
    labels: Tensor,
    spec: MonteCarloSpec,
    info: RunInfo,
    *,
    bn: BnChoice = TRAINING,
    fault_free: FaultFree = FaultFree(),
) -> AccuracyResult:
    """Evaluate `chips` with the BatchNorm statistics `bn` (`bnsets.choose_bn`)."""
    rate = chips.rate
    source = chip_drawer_source(chips.drawer, rate, chips.fault_map, spec.seed)
    model_name, granularity, seed = chips.provenance(spec.seed)
    notes: tuple[str, ...] = ()
    if bn.name.endswith(ON_THE_FLY):
        notes = (
            f"no BatchNorm set for {model_name} at rate {rate} in the checkpoint: "
            "recalibrated on the fly with its recorded settings",
        )
    design = spec.design(1 if chips.fault_map is not None else spec.chips)
    sampler = ChipSampler(
        [Arm(injector, bn.stats)],
        images,
        labels,
        spec.seed,
        source,
        spec.batch_size,
        per_pass(spec, design.chips, model_device(injector)),
    )
    with sampler.open():
        run = sample(sampler, mean_figure(0), design, f"rate {rate}", spec.progress)
    label = ArmLabel(
        info=info,
        fault_model=model_name,
        granularity=granularity,
        rate=rate,
        seed=seed,
        bn_set=bn.name,
        fault_free=fault_free,
    )
    return result_of(
        run, 0, sampler, spec, label, notes + run_notes(run, spec, sampler, spec.stop_on)
    )


def run_notes(
    run: Sampled, spec: MonteCarloSpec, sampler: ChipSampler, figure: str
) -> tuple[str, ...]:
    """What a reader of the results must know about how the chips were scored."""
    notes: tuple[str, ...] = ()
    if spec.adaptive is not None and run.half_width > spec.adaptive:
        notes += (
            f"adaptive target ±{spec.adaptive} on the {figure} not reached in "
            f"{len(run.masks)} chips",
        )
    if run.images_per_chip < sampler.test_images:
        notes += (
            f"two-stage sampling: each chip scored on {run.images_per_chip} of "
            f"{sampler.test_images} test images; per-chip accuracies, percentiles and "
            "yield are estimates that include that sampling noise",
        )
    if run.pilot is not None and run.allocation is not None:
        notes += (
            f"pilot of {run.pilot.chips} chips: between-chip sd "
            f"{run.pilot.between**0.5:.2f}, within-chip sd {run.pilot.within**0.5:.2f}"
            f" points; allocated {run.allocation.images_per_chip} images per chip",
        )
    return notes


def result_of(
    run: Sampled,
    arm: int,
    sampler: ChipSampler,
    spec: MonteCarloSpec,
    label: ArmLabel,
    notes: tuple[str, ...],
) -> AccuracyResult:
    """The `AccuracyResult` of arm `arm` of a sampled run."""
    accs = [percent(masks[arm]) for masks in run.masks]
    return AccuracyResult(
        info=label.info,
        fault_model=label.fault_model,
        granularity=label.granularity,
        rate=label.rate,
        seed=label.seed,
        per_chip=tuple(accs),
        summary=summarize(accs, spec.threshold),
        threshold=spec.threshold,
        float_accuracy=label.fault_free.float_accuracy,
        quantized_accuracy=label.fault_free.quantized_accuracy,
        realised_fraction=sampler.faulty_fraction(len(accs)),
        bn_set=label.bn_set,
        adaptive_target=spec.adaptive,
        notes=notes,
        images_per_chip=run.images_per_chip,
        test_images=sampler.test_images,
        chip_images=sampler.chip_images,
        pilot=run.pilot,
        allocation=run.allocation,
    )
