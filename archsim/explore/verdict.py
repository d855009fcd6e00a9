"""A paper's claim tested on a paired effect: the effect's intervals, its spreads, the verdict.

An effect is "first minus second" in accuracy points, measured per chip on the same chips and
the same images (chip i of the sweep's chip seed, the same test images) and, with several
training seeds, once per seed. Chip i's differences are averaged over the seeds, and the 95%
Student-t interval over the chips is `faults.stats.paired_difference` of the two seed-averaged
accuracy lists (the mean of differences is the difference of means): the chip interval. The
spread between chips (the standard deviation of one seed's per-chip differences, pooled over
seeds) and the spread between trainings (the standard deviation of the seeds' mean effects)
are reported apart. With two or more seeds the training interval is the 95% Student-t
interval of the mean over the seeds' mean effects (S - 1 degrees of freedom): the chips are
the same for every seed, so the chip interval alone cannot see how much another training of
the same recipe would move the effect.

A claim is a direction and a margin in points (`Rule`): "greater than m", "less than m" or
"within +-m". With two or more seeds the verdict is "reproduced" when both the chip interval
and the training interval lie wholly on the claim's side, "not reproduced" when both lie
wholly on the other side, and "inconclusive at this budget" otherwise (an interval that
straddles the margin, e.g. zero, or trainings that spread across it). With one training seed
the training spread is unknown: a chip interval on one side is at most "suggestive" (or
"suggestive against"), never reproduced. `finding_power` says how many chips or trainings
would decide an undecided one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from archsim.faults.stats import paired_difference

Direction = Literal["greater", "less", "within"]
REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
INCONCLUSIVE = "inconclusive at this budget"
NOT_IN_SWEEP = "not in this sweep"
SUGGESTIVE = "suggestive (one training)"
SUGGESTIVE_AGAINST = "suggestive against (one training)"


@dataclass(frozen=True)
class Rule:
    """The claim: effect > margin ("greater"), < margin ("less"), or |effect| < margin."""

    direction: Direction
    margin: float = 0.0

    def text(self) -> str:
        if self.direction == "within":
            return f"|effect| < {self.margin:g}"
        return f"effect {'>' if self.direction == 'greater' else '<'} {self.margin:g}"

    def side(self, low: float, high: float) -> bool | None:
        """True: [low, high] lies wholly where the claim holds; False: wholly where it fails;
        None: it straddles a boundary."""
        m = self.margin
        if self.direction == "greater":
            return True if low > m else False if high < m else None
        if self.direction == "less":
            return True if high < m else False if low > m else None
        return True if -m < low and high < m else False if low > m or high < -m else None


@dataclass(frozen=True)
class Effect:
    """A paired effect over chips (and training seeds), in accuracy points."""

    mean: float
    low: float
    high: float
    chips: int
    seed_means: tuple[float, ...]
    chip_sd: float | None  # per-chip differences within one training, pooled over seeds
    seed_sd: float | None  # between the trainings' mean effects (None for one seed)

    @property
    def training_interval(self) -> tuple[float, float] | None:
        """The 95% Student-t interval of the mean of the seeds' mean effects (None for one
        seed; the mean is `mean`, since every seed has the same chips)."""
        if self.seed_sd is None or len(self.seed_means) < 2:
            return None
        half = t_quantile(len(self.seed_means) - 1) * self.seed_sd / math.sqrt(len(self.seed_means))
        centre = float(np.mean(self.seed_means))
        return centre - half, centre + half


def paired_effect(
    first: Sequence[Sequence[float]], second: Sequence[Sequence[float]]
) -> Effect | None:
    """`first[s][i] - second[s][i]` for training seed s and chip i (see the module doc);
    None below two common chips."""
    if not first or len(first) != len(second):
        return None
    n = min(min(len(a) for a in first), min(len(b) for b in second))
    if n < 2:
        return None
    a = np.asarray([list(x[:n]) for x in first], dtype=np.float64)
    b = np.asarray([list(x[:n]) for x in second], dtype=np.float64)
    pooled = paired_difference(list(a.mean(axis=0)), list(b.mean(axis=0)))
    if pooled is None:
        return None
    diffs = a - b
    seed_means = tuple(float(m) for m in diffs.mean(axis=1))
    chip_sd = float(math.sqrt(float(diffs.var(axis=1, ddof=1).mean())))
    seed_sd = float(np.std(seed_means, ddof=1)) if len(seed_means) > 1 else None
    return Effect(
        pooled.mean,
        pooled.mean - pooled.half_width,
        pooled.mean + pooled.half_width,
        n,
        seed_means,
        chip_sd,
        seed_sd,
    )


def verdict(effect: Effect | None, rule: Rule) -> str:
    """The verdict on `rule` from `effect`'s chip and training intervals (the module doc)."""
    if effect is None:
        return NOT_IN_SWEEP
    side = rule.side(effect.low, effect.high)
    training = effect.training_interval
    if training is None:  # one training: its spread is unknown
        return INCONCLUSIVE if side is None else SUGGESTIVE if side else SUGGESTIVE_AGAINST
    if side is None or rule.side(*training) is not side:
        return INCONCLUSIVE
    return REPRODUCED if side else NOT_REPRODUCED


def t_quantile(dof: int, confidence: float = 0.95) -> float:
    """The two-sided Student-t critical value with `dof` degrees of freedom."""
    from scipy import stats  # ~0.5 s to import: only when an interval is computed

    return float(stats.t.ppf(0.5 + confidence / 2, dof))
