"""One finding of the findings page: the record, and the paired comparison it rests on.

Every effect is paired (`verdict.paired_effect`): the two accuracies come from evaluations on
the same chips (chip i of the sweep's chip seed) and the same test images, per training seed.
Where the two models have different crossbar layouts (another width, net or placement), chip i
is the same seed but not the same cells, so only the images and the chip stream are shared; the
note says so (`OTHER_CELLS`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from archsim.explore.finding_power import Power, power
from archsim.explore.findings_data import Arm, Context
from archsim.explore.verdict import Effect, Rule, paired_effect, verdict

DC, SFT, LB, STEM = (
    "drop-connect paper",
    "stochastic-training paper",
    "linear-bottleneck study",
    "input handling",
)
OTHER_CELLS = "different crossbar layouts: same chip seeds and images, not the same cells"


@dataclass(frozen=True)
class Finding:
    key: str
    source: str
    claim: str  # the paper's own claim
    rule: Rule
    test: str  # what was compared, or what the sweep would need
    effect: Effect | None
    means: tuple[float, float] | None  # the two compared accuracies (pooled means)
    verdict: str
    note: str = ""
    power: Power | None = None  # the resolution it had, what would decide it (None: no effect)


Pair = tuple[Effect | None, tuple[float, float] | None] | None


def make_finding(
    key: str, source: str, claim: str, rule: Rule, test: str, pair: Pair, note: str = ""
) -> Finding:
    effect, means = pair if pair else (None, None)
    if not test:  # the spec asks for it, the store does not hold it
        test = "its evaluations are not in the store (an unfinished sweep?)"
    return Finding(
        key,
        source,
        claim,
        rule,
        test,
        effect,
        means,
        verdict(effect, rule),
        note,
        None if effect is None else power(effect, rule),
    )


def paired_series(first: dict[int, np.ndarray], second: dict[int, np.ndarray]) -> Pair:
    seeds = sorted(set(first) & set(second))
    if not seeds:
        return None
    a, b = [list(first[s]) for s in seeds], [list(second[s]) for s in seeds]
    effect = paired_effect(a, b)
    if effect is None:
        return None
    return effect, (
        float(np.mean([np.mean(x) for x in a])),
        float(np.mean([np.mean(x) for x in b])),
    )


def pair_arms(ctx: Context, first: Arm | None, second: Arm | None) -> Pair:
    if first is None or second is None:
        return None
    return paired_series(ctx.series(first), ctx.series(second))
