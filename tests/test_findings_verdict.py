"""The findings page's verdicts: a paired effect over chips and training seeds, tested on a
claim's side of its margin."""

import numpy as np
import pytest

from archsim.explore.verdict import (
    INCONCLUSIVE,
    NOT_IN_SWEEP,
    NOT_REPRODUCED,
    REPRODUCED,
    SUGGESTIVE,
    SUGGESTIVE_AGAINST,
    Effect,
    Rule,
    paired_effect,
    verdict,
)


def _effect(low: float, high: float, seeds: tuple[float, ...] | None = None) -> Effect:
    """An effect with chip interval [low, high]; by default two trainings that agree exactly
    (training sd 0), so only the chip interval decides."""
    mean = (low + high) / 2
    seeds = seeds if seeds is not None else (mean, mean)
    sd = float(np.std(seeds, ddof=1)) if len(seeds) > 1 else None
    return Effect(mean, low, high, 10, seeds, 1.0, sd)


def test_an_interval_straddling_zero_is_inconclusive() -> None:
    assert verdict(_effect(-0.5, 2.0), Rule("greater")) == INCONCLUSIVE
    assert verdict(_effect(-3.0, 0.1), Rule("less")) == INCONCLUSIVE


def test_greater_and_less_by_hand() -> None:
    assert verdict(_effect(0.2, 4.0), Rule("greater")) == REPRODUCED
    assert verdict(_effect(-4.0, -0.2), Rule("greater")) == NOT_REPRODUCED
    # "loses under 1 point": effect (faulty - clean) > -1
    assert verdict(_effect(-0.8, -0.1), Rule("greater", -1.0)) == REPRODUCED
    assert verdict(_effect(-9.0, -2.0), Rule("greater", -1.0)) == NOT_REPRODUCED
    assert verdict(_effect(-1.5, -0.5), Rule("greater", -1.0)) == INCONCLUSIVE
    # "collapses": more than 10 points lost
    assert verdict(_effect(-40.0, -20.0), Rule("less", -10.0)) == REPRODUCED
    assert verdict(_effect(-5.0, -1.0), Rule("less", -10.0)) == NOT_REPRODUCED


def test_within_a_margin_by_hand() -> None:
    rule = Rule("within", 2.0)
    assert verdict(_effect(-1.0, 1.5), rule) == REPRODUCED
    assert verdict(_effect(2.5, 6.0), rule) == NOT_REPRODUCED
    assert verdict(_effect(-7.0, -3.0), rule) == NOT_REPRODUCED
    assert verdict(_effect(-1.0, 3.0), rule) == INCONCLUSIVE  # could be either


def test_trainings_that_disagree_make_a_decided_interval_inconclusive() -> None:
    # seeds 4.0 and 0.2: mean 2.1, sd 2.687; t(0.975, 1) = 12.706 -> half-width
    # 12.706 x 2.687 / sqrt(2) = 24.14: [-22.0, 26.2] straddles 0 although the chips decide
    e = _effect(0.5, 3.0, (4.0, 0.2))
    low, high = e.training_interval or (0.0, 0.0)
    assert (low, high) == (
        pytest.approx(2.1 - 24.14, abs=0.01),
        pytest.approx(2.1 + 24.14, abs=0.01),
    )
    assert verdict(e, Rule("greater")) == INCONCLUSIVE
    # four trainings 2.0, 2.2, 1.8, 2.0: sd 0.1633, t(0.975, 3) = 3.1824 -> +-0.26: decided
    e = _effect(0.5, 3.5, (2.0, 2.2, 1.8, 2.0))
    assert verdict(e, Rule("greater")) == REPRODUCED
    assert verdict(_effect(0.5, 3.0, (4.0, -0.2)), Rule("greater")) == INCONCLUSIVE
    assert verdict(None, Rule("greater")) == NOT_IN_SWEEP


def test_one_training_is_at_most_suggestive() -> None:
    one = (1.5,)
    assert _effect(0.5, 2.5, one).training_interval is None
    assert verdict(_effect(0.5, 2.5, one), Rule("greater")) == SUGGESTIVE
    assert verdict(_effect(-2.5, -0.5, (-1.5,)), Rule("greater")) == SUGGESTIVE_AGAINST
    assert verdict(_effect(-0.5, 2.5, (1.0,)), Rule("greater")) == INCONCLUSIVE


def test_paired_effect_by_hand() -> None:
    # seed 0: differences 4, 2, 0; seed 1: 6, 4, 2 -> chip means 5, 3, 1: mean 3, sd 2,
    # t(0.975, 2) = 4.3027: half-width 4.3027 x 2 / sqrt(3) = 4.9683
    first = [[90.0, 80.0, 70.0], [92.0, 84.0, 72.0]]
    second = [[86.0, 78.0, 70.0], [86.0, 80.0, 70.0]]
    e = paired_effect(first, second)
    assert e is not None and e.chips == 3
    assert e.mean == pytest.approx(3.0)
    assert (e.low, e.high) == (
        pytest.approx(3 - 4.9683, abs=1e-4),
        pytest.approx(3 + 4.9683, abs=1e-4),
    )
    assert e.seed_means == pytest.approx((2.0, 4.0))
    # between trainings: sd of (2, 4) = sqrt(2); within: each seed's sd of its differences
    # is 2, pooled sqrt((4 + 4) / 2) = 2
    assert e.seed_sd == pytest.approx(2**0.5)
    assert e.chip_sd == pytest.approx(2.0)
    assert verdict(e, Rule("greater")) == INCONCLUSIVE  # [-1.97, 7.97] straddles zero


def test_paired_effect_cancels_the_chips_common_spread() -> None:
    # chips range over 40 points but the second model is 1 point worse on every chip
    first = [[95.0, 75.0, 55.0, 60.0]]
    second = [[94.0, 74.0, 54.0, 59.0]]
    e = paired_effect(first, second)
    assert e is not None and (e.mean, e.low, e.high) == (1.0, 1.0, 1.0)
    assert verdict(e, Rule("greater")) == SUGGESTIVE  # one training: its spread is unknown
    assert paired_effect([[1.0]], [[2.0]]) is None


def test_the_findings_modules_never_import_the_results_module() -> None:
    # results imports findings to compute them; findings read a sweep through protocols
    # (findings_data.SweepRows, findings.WithFindings), so no import circle, not even one
    # only the type checker sees
    from pathlib import Path

    import archsim.explore as explore

    here = Path(explore.__file__).parent
    modules = [*here.glob("finding*.py"), here / "verdict.py"]
    assert len(modules) >= 6
    for module in modules:
        assert "explore.results" not in module.read_text(), module.name
