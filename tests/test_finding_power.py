"""The power a finding had, and the chips / trainings that would decide it, by hand."""

import pytest

from archsim.explore.finding_power import MOST, distance, needed, power
from archsim.explore.verdict import Effect, Rule


def test_an_undecided_chip_interval_says_how_many_chips_decide_it() -> None:
    # 10 chips, interval [-0.5, 2.5]: mean 1, half-width 1.5 = t(0.975, 9) s / sqrt(10) with
    # t = 2.2622 -> s = 1.5 sqrt(10) / 2.2622 = 2.0969. Claim "effect > 0": d = 1.
    # t(n - 1) 2.0969 / sqrt(n): n = 19 -> 1.0107, n = 20 -> 0.9814 < 1: 20 chips.
    e = Effect(1.0, -0.5, 2.5, 10, (1.0, 1.0), 2.0, 0.0)
    p = power(e, Rule("greater"))
    assert p.distance == pytest.approx(1.0)
    assert p.chip_half_width == pytest.approx(1.5)
    assert p.chip_sd == pytest.approx(2.0969, abs=1e-4)
    assert p.chips_needed == 20
    assert p.training_half_width == 0.0 and p.trainings_needed is None
    assert "about 20 chips" in p.text()


def test_trainings_that_spread_across_the_margin_say_how_many_trainings_decide() -> None:
    # seeds 4.0 and 0.2: mean 2.1, sd 2.6870; the chips decide ([1.6, 2.6] > 0).
    # t(S - 1) 2.6870 / sqrt(S): S = 8 -> 2.2464, S = 9 -> 2.0654 < 2.1: 9 trainings.
    e = Effect(2.1, 1.6, 2.6, 10, (4.0, 0.2), 1.0, 2.6870057685088806)
    p = power(e, Rule("greater"))
    assert p.chips_needed is None and p.trainings_needed == 9
    assert p.training_half_width == pytest.approx(24.14, abs=0.01)  # 12.706 x 2.687 / sqrt 2
    assert "about 9 trainings" in p.text() and "chips" not in p.text().split("decide:")[1]


def test_one_training_leaves_the_training_spread_unknown() -> None:
    e = Effect(3.0, 2.0, 4.0, 8, (3.0,), 1.0, None)
    p = power(e, Rule("greater"))
    assert p.training_half_width is None and p.trainings_needed is None
    assert p.chips_needed is None  # the chips decide; the verdict is still only suggestive
    assert "trainings unknown" in p.text() and "would decide" not in p.text()


def test_distance_to_the_nearest_boundary_of_the_claim() -> None:
    e = Effect(1.5, 0.0, 3.0, 5, (1.5, 1.5), 1.0, 0.0)
    assert distance(e, Rule("within", 2.0)) == pytest.approx(0.5)  # nearer to +2 than to -2
    assert distance(e, Rule("less", -10.0)) == pytest.approx(11.5)


def test_needed_caps_and_spreadless_cases() -> None:
    assert needed(0.0, 1.0) == 2  # no spread: the least sample that has an interval
    assert needed(1.0, 0.0) == MOST + 1  # an effect on the margin is never decided
    assert needed(100.0, 0.01) == MOST + 1  # (1.96 x 100 / 0.01)^2 = 3.8e8 > MOST
    assert (
        "more than 100,000"
        in power(Effect(0.0001, -1.0, 1.0, 10, (0.0001, 0.0001), 1.0, 0.0), Rule("greater")).text()
    )
