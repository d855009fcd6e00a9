"""One finding of the findings page: the record, and the paired comparison it rests on.

Every effect is paired (`verdict.paired_effect`): the two accuracies come from evaluations on
the same chips (chip i of the sweep's chip seed) and the same test images, per training seed.
Where the two models have different crossbar layouts (another width, net or placement), chip i
is the same seed but not the same cells, so only the images and the chip stream are shared; the
note says so (`OTHER_CELLS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from archsim.explore.finding_power import Power, power
from archsim.explore.findings_data import Arm, Context
from archsim.explore.verdict import NOT_IN_SWEEP, Effect, Rule, paired_effect, verdict

DC, SFT, LB, STEM = (
    "drop-connect paper",
    "stochastic-training paper",
    "linear-bottleneck study",
    "input handling",
)
OTHER_CELLS = "different crossbar layouts: same chip seeds and images, not the same cells"

# the sweep that tests each finding: a shipped preset (`archsim pareto --preset NAME`), or
# what a spec must hold (docs/findings.md)
_FMNIST_DC, _FMNIST_SFT = "--preset fmnist-dropconnect", "--preset fmnist-sft"
TESTED_BY = {
    **dict.fromkeys(("DC-1", "DC-2", "DC-3", "DC-5", "DC-7", "STEM"), _FMNIST_DC),
    "DC-4": "--preset dropconnect (widths 1.0-1.6)",
    "DC-6": "--spec with a second model {net: resnet20, options: {shortcut: 3x3}}",
    **dict.fromkeys(("SFT-1", "SFT-2", "SFT-3", "SFT-5"), _FMNIST_SFT),
    "SFT-4": f"{_FMNIST_SFT} (magnitude pruning), --preset sft (ADMM too)",
    **dict.fromkeys(("LB-1", "LB-2"), "--preset mnist-bottleneck"),
}


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

    def verdict_text(self) -> str:
        """The verdict, and for an undecided one what would decide it, e.g. "inconclusive at
        this budget (would decide: about 20 chips and about 4 trainings)"."""
        need = self.power.needs() if self.power is not None else ""
        return f"{self.verdict} (would decide: {need})" if need else self.verdict


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


def not_in_sweep_line(findings: Sequence[Finding]) -> str:
    """One line naming the findings a sweep did not test, grouped by the sweep that tests
    them ("" when it tested every one)."""
    groups: dict[str, list[str]] = {}
    for f in findings:
        if f.verdict == NOT_IN_SWEEP:
            groups.setdefault(TESTED_BY.get(f.key, f.test), []).append(f.key)
    if not groups:
        return ""
    keys = [f.key for f in findings if f.verdict == NOT_IN_SWEEP]
    where = "; ".join(f"{', '.join(ks)}: archsim pareto {spec}" for spec, ks in groups.items())
    return f"Not tested by this sweep: {', '.join(keys)}; tested by {where}."
