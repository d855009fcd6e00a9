"""The chip loop: how many images per chip (fixed, every image, or allocated from a pilot), and
when to stop (a fixed number of chips, or the 95% interval of the reported figure).

The figure is what the caller reports: the mean accuracy of one model, the paired difference of
two models on the same chips and images, or the yield (fraction of chips at or above a
threshold, stopped on its Wilson interval; only with exact per-chip accuracies). `sample`
returns, per chip, every arm's per-image correctness on the chip's images, the images per chip
used, and the variance components of the pilot when one was run.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from torch import Tensor

from archsim.errors import UserError
from archsim.faults.nested import (
    Allocation,
    ChipScore,
    Components,
    allocate,
    chip_score,
    components,
)
from archsim.faults.sampler import ChipSampler
from archsim.faults.stats import t_half_width, wilson_interval
from archsim.progress import progress_bar

StopOn = Literal["mean", "yield", "difference"]
Figure = Callable[[Sequence[Tensor]], Tensor]  # every arm's correctness -> per-image points


def mean_figure(arm: int = 0) -> Figure:
    """Per-image points of one arm's accuracy (100 right, 0 wrong)."""
    return lambda masks: 100.0 * masks[arm].double()


def difference_figure(first: int = 0, second: int = 1) -> Figure:
    """Per-image points of the paired difference first - second (-100, 0 or 100)."""
    return lambda masks: 100.0 * (masks[first].double() - masks[second].double())


@dataclass(frozen=True)
class Design:
    """Images per chip, chips, and the stopping rule of one run."""

    chips: int  # at most this many chips (all of them without a target)
    images_per_chip: int | Literal["auto"] | None = None  # None: every test image
    target: float | None = None  # stop once the figure's 95% half-width <= this (points)
    min_chips: int = 10
    stop_on: StopOn = "mean"
    threshold: float | None = None  # yield: accuracy a chip needs (percent)
    pilot_chips: int = 20  # "auto": chips scored on `pilot_images` to measure the components
    pilot_images: int = 500
    chip_cost: float = 20.0  # image-evaluations a chip costs beyond its images
    min_images: int = 20  # "auto": never fewer images per chip

    def check(self, test_images: int) -> None:
        if self.images_per_chip == "auto" and self.target is None:
            raise UserError("images per chip 'auto' needs a target half-width (--adaptive)")
        if self.stop_on == "yield":
            if self.threshold is None:
                raise UserError("stopping on the yield needs a threshold")
            if self.images_per_chip is not None and self.images_per_chip != test_images:
                raise UserError(
                    "stopping on the yield needs exact per-chip accuracies: "
                    "score every chip on every test image"
                )


@dataclass(frozen=True)
class Sampled:
    """What `sample` measured."""

    masks: tuple[tuple[Tensor, ...], ...]  # per chip, per arm: correct on its m images
    images_per_chip: int
    figure: tuple[ChipScore, ...]  # per chip, the reported figure's score
    half_width: float  # of the figure's 95% interval at the end
    pilot: Components | None = None
    allocation: Allocation | None = None


def half_width(scores: Sequence[ChipScore], design: Design) -> float:
    """95% half-width (points) of the figure the design stops on."""
    if design.stop_on == "yield":
        assert design.threshold is not None
        passed = sum(s.mean >= design.threshold for s in scores)
        low, high = wilson_interval(passed, len(scores))
        return 100.0 * (high - low) / 2
    return t_half_width([s.mean for s in scores])


def _pilot(sampler: ChipSampler, figure: Figure, design: Design) -> tuple[Components, Allocation]:
    assert design.target is not None
    m = min(design.pilot_images, sampler.test_images)
    arms = range(len(sampler.arms))
    scores = [
        chip_score(figure([sampler.correct(a, c, m) for a in arms]))
        for c in range(min(design.pilot_chips, design.chips))
    ]
    parts = components(scores, sampler.test_images)
    return parts, allocate(parts, design.target, design.chip_cost, design.min_images)


def sample(
    sampler: ChipSampler, figure: Figure, design: Design, label: str = "", progress: bool = False
) -> Sampled:
    """Score chips 0, 1, ... under `design` (see the module doc)."""
    design.check(sampler.test_images)
    pilot, allocation = None, None
    if design.images_per_chip == "auto":
        pilot, allocation = _pilot(sampler, figure, design)
        m = allocation.images_per_chip
    elif design.images_per_chip is None:
        m = sampler.test_images
    else:
        m = min(design.images_per_chip, sampler.test_images)
    masks: list[tuple[Tensor, ...]] = []
    scores: list[ChipScore] = []
    half = math.inf
    with progress_bar(progress) as bar:
        task = bar.add_task(label, total=design.chips, status="")
        for chip in range(design.chips):
            masks.append(tuple(sampler.correct(a, chip, m) for a in range(len(sampler.arms))))
            scores.append(chip_score(figure(masks[-1])))
            half = half_width(scores, design)
            mean = sum(s.mean for s in scores) / len(scores)
            bar.update(
                task,
                advance=1,
                status=f"{design.stop_on} {mean:.2f} ±{half:.2f} "
                f"({sampler.chip_images:,} chip-images)",
            )
            if (
                design.target is not None
                and len(scores) >= design.min_chips
                and half <= design.target
            ):
                break
    return Sampled(tuple(masks), m, tuple(scores), half, pilot, allocation)
