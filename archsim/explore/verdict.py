"""A paper's claim tested on a paired effect: the effect's interval, its spread, the verdict.

An effect is "first minus second" in accuracy points, measured per chip on the same chips and
the same images (chip i of the sweep's chip seed, the same test images) and, with several
training seeds, once per seed. Chip i's differences are averaged over the seeds, and the 95%
Student-t interval over the chips is `faults.stats.paired_difference` of the two seed-averaged
accuracy lists (the mean of differences is the difference of means). The spread between chips
(the standard deviation of one seed's per-chip differences, pooled over seeds) and the spread
between trainings (the standard deviation of the seeds' mean effects) are reported apart.

A claim is a direction and a margin in points (`Rule`): "greater than m", "less than m" or
"within +-m". The verdict is "reproduced" when the interval lies wholly on the claim's side,
"not reproduced" when it lies wholly on the other side, and "inconclusive at this budget"
otherwise (an interval that straddles the margin, e.g. zero). With two or more seeds a
decided verdict also needs every seed's own mean effect on the same side: trainings that
disagree make it inconclusive too.
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
    """The verdict on `rule` from `effect`'s interval and its trainings (see the module doc)."""
    if effect is None:
        return NOT_IN_SWEEP
    side = rule.side(effect.low, effect.high)
    if side is None:
        return INCONCLUSIVE
    if len(effect.seed_means) > 1 and any(rule.side(m, m) is not side for m in effect.seed_means):
        return INCONCLUSIVE
    return REPRODUCED if side else NOT_REPRODUCED
