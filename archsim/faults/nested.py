"""Two-stage (nested) Monte-Carlo: each chip is scored on its own random subset of test images.

Design. Chip i (drawn from (seed, i) as usual) is evaluated on the first m images of a
permutation of the N test images seeded by (seed, i) only, so two models evaluated with the same
seed meet the same chips AND the same images (common random numbers, see `paired.py`). Images
are drawn without replacement; m = N is the full test set in its original order, which is
exactly today's one-stage Monte-Carlo.

Estimator. y_i, chip i's score on its m images (accuracy in percent, or a per-image paired
difference), has E[y_i | chip] = Y_i, the chip's full-test-set score, so the mean of the y_i is
unbiased for the mean over chips. Chips are independent draws from an unbounded population
(first-stage sampling fraction 0), so the unbiased variance estimator of that mean is s^2 / k,
with s^2 the sample variance of the k per-chip scores: it contains both the between-chip
variance and the within-chip sampling variance (Cochran, Sampling Techniques, 3rd ed. 1977,
Theorem 10.2 with f1 -> 0). The Student-t interval on the y_i is therefore the two-stage
interval, and with m = N it is today's interval exactly.

Variance components (for the allocation). Within chip i, S_i^2 is estimated by the sample
variance s_i^2 of the m per-image scores (ddof 1, unbiased under sampling without replacement);
S_w^2 = mean s_i^2. Between chips, E[s^2] = S_b^2 + (1 - m/N) S_w^2 / m, so
S_b^2 = s^2 - (1 - m/N) S_w^2 / m (clamped at 0).

Allocation (Cochran section 10.6). With a chip costing `chip_cost` image-evaluations on top of
its m images (drawing its faults, swapping them in and out), the total cost k (c + m) at a fixed
variance (A + B/m) / k, A = S_b^2 - S_w^2 / N and B = S_w^2, is smallest at m* = sqrt(c B / A),
clamped to [min_images, N]; the chips then needed for a half-width h are k = (t h^-1)^2 (A + B/m).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from archsim.faults.draw import unit_rng

Z95 = 1.959963984540054  # two-sided 95% normal quantile (planning only; intervals use t)


def image_order(seed: int, chip: int, n: int) -> Tensor:
    """The seeded permutation of test-image positions chip `chip` of `seed` is scored on.

    Independent of the model, the fault model and the number of chips: chip i of two models
    sees the same images in the same order, and its first m images are a prefix of its first
    m' > m images (a pilot's images are reused when a chip is scored on more).
    """
    rng = unit_rng(seed, chip, "images")
    return torch.from_numpy(rng.permutation(n).astype(np.int64))


@dataclass(frozen=True)
class ChipScore:
    """One chip's score on its images: mean and sample variance of per-image scores."""

    mean: float  # y_i, in the unit of the scores (points)
    variance: float  # s_i^2 of the per-image scores (ddof 1); 0 for one image
    images: int  # m_i


def chip_score(per_image: Tensor) -> ChipScore:
    """Score of one chip from its per-image scores (points: 100 * correct, or a difference)."""
    values = per_image.to(torch.float64)
    m = values.numel()
    if m == 0:
        raise ValueError("a chip needs at least one image")
    variance = float(values.var(correction=1)) if m > 1 else 0.0
    return ChipScore(float(values.mean()), variance, m)


@dataclass(frozen=True)
class Components:
    """Variance components of a two-stage design (points^2) measured on some chips."""

    between: float  # S_b^2: variance of the chips' full-test-set scores
    within: float  # S_w^2: mean variance of per-image scores within a chip
    chips: int
    images_per_chip: float  # mean m of the chips measured
    test_images: int  # N

    def variance_of_mean(self, chips: int, images: int) -> float:
        """Var of the mean over `chips` chips scored on `images` images each."""
        fpc = 1.0 - images / self.test_images
        return (self.between + fpc * self.within / images) / chips


def components(scores: Sequence[ChipScore], test_images: int) -> Components:
    """S_b^2 and S_w^2 from chips scored on (possibly different) numbers of images."""
    if len(scores) < 2:
        raise ValueError("variance components need at least two chips")
    means = np.array([s.mean for s in scores])
    within = float(np.mean([s.variance for s in scores]))
    fpc_over_m = float(np.mean([(1.0 - s.images / test_images) / s.images for s in scores]))
    between = max(0.0, float(means.var(ddof=1)) - fpc_over_m * within)
    return Components(
        between, within, len(scores), float(np.mean([s.images for s in scores])), test_images
    )


@dataclass(frozen=True)
class Allocation:
    """Images per chip and chips for a target half-width, from measured components."""

    images_per_chip: int
    chips: int  # planned; adaptive runs stop on the measured interval instead
    chip_images: int  # chips * images_per_chip


def allocate(
    parts: Components, half_width: float, chip_cost: float, min_images: int = 2, z: float = Z95
) -> Allocation:
    """The cheapest (m, k) for a `half_width` interval (see the module doc)."""
    if half_width <= 0:
        raise ValueError(f"target half-width must be > 0, got {half_width}")
    if chip_cost < 0:
        raise ValueError(f"chip cost must be >= 0 image-evaluations, got {chip_cost}")
    n = parts.test_images
    a = parts.between - parts.within / n
    b = parts.within
    if b <= 0:  # every image scores alike within a chip: one image tells it all
        m = min(n, max(1, min_images))
    elif a <= 0:  # no measurable spread between chips: score each chip fully
        m = n
    else:
        m = min(n, max(min_images, round(math.sqrt(chip_cost * b / a))))
    chips = max(2, math.ceil(z * z * parts.variance_of_mean(1, m) / half_width**2))
    return Allocation(m, chips, chips * m)
