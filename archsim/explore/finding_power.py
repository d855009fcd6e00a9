"""The power a finding's verdict had, and what would decide an undecided one.

A verdict (`verdict.verdict`) needs the chip interval and, with two or more training seeds,
the training interval wholly on one side of the claim's margin. The distance d is how far the
measured effect lies from the nearest boundary of the claim (|effect - m|; for "within +-m"
the nearer of +m and -m). An interval decides when its half-width is below d, so each
half-width is the resolution the budget had: the smallest distance from the margin it decides.

Taking the measured spreads as the truth (the two-stage Monte-Carlo of docs/montecarlo-two-
stage.md: each chip's paired difference already carries its image-sampling error, so the
spread of the seed-averaged chip differences is the whole chip stage), the chips that decide
are the least n >= 2 with t(n - 1) s_chip / sqrt(n) < d, s_chip the standard deviation of the
seed-averaged per-chip differences; the trainings that decide are the least S >= 2 with
t(S - 1) s_train / sqrt(S) < d, s_train the standard deviation of the seeds' mean effects.
With one seed s_train is unknown: the page says so and asks for at least 3 trainings (2
give an interval t(1) / sqrt(2) = 9.0 times the spread wide on each side, 3 give t(2) / sqrt(3)
= 2.5 times).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from archsim.explore.verdict import Effect, Rule, t_quantile

MOST = 100_000  # past this many chips or trainings, "more than" it
ONE_TRAINING_ASK = 3  # trainings asked of a finding measured on one (its spread unknown)


@dataclass(frozen=True, kw_only=True)
class Power:
    """A finding's resolution and, where undecided, the budget that would decide it."""

    distance: float  # |effect - nearest boundary of the claim|, points
    chip_half_width: float  # the chip interval's half-width, points
    training_half_width: float | None  # None: one training seed
    chips_needed: int | None  # None: the chip interval already decides (or never can)
    trainings_needed: int | None  # None: decided; one seed: ONE_TRAINING_ASK, "at least"
    chip_sd: float  # sd of the seed-averaged per-chip differences
    training_sd: float | None

    def text(self) -> str:
        """One line for the findings page."""
        text = f"resolution: chips +-{self.chip_half_width:.2f}"
        if self.training_half_width is None:
            text += ", trainings unknown (1 training)"
        else:
            text += f", trainings +-{self.training_half_width:.2f}"
        text += f"; margin {self.distance:.2f} away"
        need = self.needs()
        return text + (f"; would decide: {need}" if need else "")

    def needs(self) -> str:
        """What would decide the finding, e.g. "about 20 chips and at least 3 trainings"
        ("" when its intervals already decide it)."""
        need = [] if self.chips_needed is None else [_count(self.chips_needed, "chips")]
        if self.trainings_needed is not None and self.training_half_width is None:
            need.append(f"at least {self.trainings_needed} trainings")
        elif self.trainings_needed is not None:
            need.append(_count(self.trainings_needed, "trainings"))
        return " and ".join(need)


def _count(n: int, what: str) -> str:
    return f"more than {MOST:,} {what}" if n > MOST else f"about {n} {what}"


def distance(effect: Effect, rule: Rule) -> float:
    """How far the measured effect lies from the nearest boundary of `rule`'s claim."""
    if rule.direction == "within":
        return min(abs(effect.mean - rule.margin), abs(effect.mean + rule.margin))
    return abs(effect.mean - rule.margin)


def needed(sd: float, d: float) -> int:
    """The least n >= 2 with t(n - 1) sd / sqrt(n) < d (MOST + 1 past MOST)."""
    if sd == 0:
        return 2
    if d <= 0 or (1.96 * sd / d) ** 2 > MOST:
        return MOST + 1
    n = max(2, math.ceil((1.96 * sd / d) ** 2))  # the normal bound; t needs a few more
    while t_quantile(n - 1) * sd / math.sqrt(n) >= d:
        n += 1
    return n


def power(effect: Effect, rule: Rule) -> Power:
    """The resolution `effect` had against `rule`, and the chips / trainings that would
    decide it where an interval straddles the claim's margin (the module doc)."""
    d = distance(effect, rule)
    chip_half = (effect.high - effect.low) / 2
    chip_sd = chip_half * math.sqrt(effect.chips) / t_quantile(effect.chips - 1)
    chips_needed = needed(chip_sd, d) if rule.side(effect.low, effect.high) is None else None
    training = effect.training_interval
    train_half = None if training is None else (training[1] - training[0]) / 2
    trainings_needed = ONE_TRAINING_ASK if training is None else None
    if training is not None and effect.seed_sd is not None and rule.side(*training) is None:
        trainings_needed = needed(effect.seed_sd, d)
    return Power(
        distance=d,
        chip_half_width=chip_half,
        training_half_width=train_half,
        chips_needed=chips_needed,
        trainings_needed=trainings_needed,
        chip_sd=chip_sd,
        training_sd=effect.seed_sd,
    )
