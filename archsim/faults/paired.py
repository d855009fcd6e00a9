"""Paired comparisons: two models (or placements) on the same chips and the same images.

Chip i's fault map is drawn once and put into both models, and both score the same images
(chip i's `image_order` prefix, or every test image), so the per-chip difference
d_i = acc_first,i - acc_second,i carries neither the chips' common spread nor the images'
common difficulty. Its mean and 95% Student-t interval are what a "first minus second" claim
needs; with two-stage sampling the same two-level argument as for a mean applies to the d_i
(`nested.py`). The adaptive mode stops on the difference's interval.

The two models must have the same RRAM layers (names and shapes): otherwise one fault map does
not fit both and there is no pairing.
"""

from dataclasses import dataclass, replace

from torch import Tensor

from archsim.errors import UserError
from archsim.faults.bnsets import TRAINING, BnChoice
from archsim.faults.inject import FaultInjector
from archsim.faults.montecarlo import (
    AccuracyResult,
    ArmLabel,
    ChipPlan,
    MonteCarloSpec,
    RunInfo,
    model_device,
    per_pass,
    result_of,
    run_notes,
)
from archsim.faults.sampler import Arm, ChipSampler, chip_drawer_source
from archsim.faults.sequential import difference_figure, sample
from archsim.faults.stats import Summary, summarize


@dataclass(frozen=True)
class PairedResult:
    """Both models' accuracies on the same chips and images, and their per-chip difference."""

    first: AccuracyResult
    second: AccuracyResult
    per_chip: tuple[float, ...]  # first - second, per chip (points)
    difference: Summary
    chip_images: int  # both models' image evaluations together (so are first's and second's)

    def row(self) -> dict[str, object]:
        d = self.difference
        return {
            "rate": self.first.rate,
            "first": self.first.summary.mean,
            "second": self.second.summary.mean,
            "difference": d.mean,
            "std": d.std,
            "ci_low": d.ci_low,
            "ci_high": d.ci_high,
            "chips": len(self.per_chip),
            "images_per_chip": self.first.images_per_chip,
            "chip_images": self.chip_images,
        }


def check_pairable(first: FaultInjector, second: FaultInjector) -> None:
    """One-line error unless both models have the same RRAM layers (names, shapes, cells)."""
    a = [(s.name, s.weights_shape, s.cells) for s in first.sites]
    b = [(s.name, s.weights_shape, s.cells) for s in second.sites]
    if a != b:
        raise UserError(
            "the two models do not have the same RRAM layers (names, shapes and "
            "cell formats), so they cannot meet the same chips"
        )


def run_paired(
    first: FaultInjector,
    second: FaultInjector,
    chips: ChipPlan,
    images: Tensor,
    labels: Tensor,
    spec: MonteCarloSpec,
    infos: tuple[RunInfo, RunInfo],
    *,
    bn: tuple[BnChoice, BnChoice] = (TRAINING, TRAINING),
) -> PairedResult:
    """`chips`, each put into both models (see the module doc).

    `spec.adaptive` targets the half-width of the difference; `spec.stop_on` is ignored.
    """
    check_pairable(first, second)
    arms = [Arm(inj, choice.stats) for inj, choice in zip((first, second), bn, strict=True)]
    design = spec.design(1 if chips.fault_map is not None else spec.chips)
    sampler = ChipSampler(
        arms,
        images,
        labels,
        spec.seed,
        chip_drawer_source(chips.drawer, chips.rate, chips.fault_map, spec.seed),
        spec.batch_size,
        per_pass(spec, design.chips, model_device(first)),
    )
    with sampler.open():
        run = sample(
            sampler,
            difference_figure(0, 1),
            replace(design, stop_on="difference"),
            f"rate {chips.rate} difference",
            spec.progress,
        )
    shared = run_notes(run, spec, sampler, "difference")
    results = [
        result_of(run, arm, sampler, spec, label, shared)
        for arm, label in enumerate(_labels(chips, spec.seed, infos, bn))
    ]
    diffs = tuple(s.mean for s in run.figure)
    return PairedResult(results[0], results[1], diffs, summarize(diffs), sampler.chip_images)


def _labels(
    chips: ChipPlan,
    seed: int,
    infos: tuple[RunInfo, RunInfo],
    bn: tuple[BnChoice, BnChoice],
) -> list[ArmLabel]:
    """What each arm's result says: its model and BatchNorm set, on the shared chips."""
    fault_model, granularity, chip_seed = chips.provenance(seed)
    return [
        ArmLabel(
            info=info,
            fault_model=fault_model,
            granularity=granularity,
            rate=chips.rate,
            seed=chip_seed,
            bn_set=choice.name,
        )
        for info, choice in zip(infos, bn, strict=True)
    ]
