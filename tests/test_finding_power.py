"""The power a finding had, and the chips / trainings that would decide it, by hand."""

from types import SimpleNamespace

import pytest

from archsim.explore.answer import Answer, answer_lines
from archsim.explore.finding import make_finding
from archsim.explore.finding_power import MOST, ONE_TRAINING_ASK, distance, needed, power
from archsim.explore.findings import finding_rows
from archsim.explore.verdict import (
    INCONCLUSIVE,
    NOT_IN_SWEEP,
    REPRODUCED,
    Effect,
    Rule,
    paired_effect,
)
from archsim.report.pages_findings import _result


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


def test_one_training_leaves_the_training_spread_unknown_and_asks_for_three() -> None:
    e = Effect(3.0, 2.0, 4.0, 8, (3.0,), 1.0, None)
    p = power(e, Rule("greater"))
    assert p.training_half_width is None and p.trainings_needed == ONE_TRAINING_ASK == 3
    assert p.chips_needed is None  # the chips decide; the verdict is still only suggestive
    assert "trainings unknown" in p.text()
    assert p.text().endswith("; would decide: at least 3 trainings")


def test_every_undecided_verdict_says_what_would_decide_it() -> None:
    # one training, 8 chips, interval [-1, 3]: mean 1, half-width 2 = t(0.975, 7) s / sqrt(8)
    # with t = 2.3646 -> s = 2 sqrt(8) / 2.3646 = 2.3923; claim "> 0", d = 1:
    # t(n - 1) 2.3923 / sqrt(n) < 1 first at n = 25 (2.0639 x 2.3923 / 5 = 0.9875; n = 24:
    # 2.0687 x 2.3923 / 4.899 = 1.0102)
    one = make_finding(
        "X-2", "src", "claim", Rule("greater"), "a - b",
        (Effect(1.0, -1.0, 3.0, 8, (1.0,), 2.0, None), (81.0, 80.0)),
    )  # fmt: skip
    assert one.verdict == INCONCLUSIVE and one.power is not None
    assert one.power.chips_needed == 25
    assert one.verdict_text() == (
        "inconclusive at this budget (would decide: about 25 chips and at least 3 trainings)"
    )
    # decided (both intervals above 0 with 2 trainings): the bare verdict, nothing asked
    both = make_finding(
        "X-3", "src", "claim", Rule("greater"), "a - b",
        (Effect(5.0, 4.0, 6.0, 8, (4.9, 5.1), 1.0, 0.1414), (85.0, 80.0)),
    )  # fmt: skip
    assert both.verdict == REPRODUCED and both.verdict_text() == REPRODUCED
    # not in the sweep: no effect, no power, the bare verdict (the page collapses these)
    none = make_finding("X-4", "src", "claim", Rule("greater"), "", None)
    assert none.verdict == NOT_IN_SWEEP and none.verdict_text() == NOT_IN_SWEEP
    answer = Answer(rows=(), sentences=(), threshold=None, tested=(one, both), untested="")
    assert answer_lines(answer) == [
        "X-2 (src): inconclusive at this budget (would decide: about 25 chips and at least "
        "3 trainings)",
        "X-3 (src): reproduced",
    ]


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


def test_a_finding_row_states_both_spreads_both_intervals_and_what_would_decide() -> None:

    # seed 0: differences 4, 2, 0; seed 1: 6, 4, 2 (tests/test_findings_verdict.py by hand):
    # chip interval 3 +- 4.968, seed means 2 and 4 (sd sqrt 2): training interval
    # 3 +- 12.706 x sqrt(2) / sqrt(2) = 3 +- 12.706; claim "> 0", d = 3
    first = [[90.0, 80.0, 70.0], [92.0, 84.0, 72.0]]
    second = [[86.0, 78.0, 70.0], [86.0, 80.0, 70.0]]
    pair = (paired_effect(first, second), (83.0, 80.0))
    f = make_finding("X-1", "src", "claim", Rule("greater"), "a - b", pair)
    assert f.verdict == INCONCLUSIVE and f.power is not None
    # chips: s = 2 (chip means 5, 3, 1): t(n - 1) 2 / sqrt(n) < 3 first at n = 5 (2.776 x
    # 2 / 2.236 = 2.48; n = 4: 3.182 x 2 / 2 = 3.18); trainings: sd sqrt 2, S = 4:
    # 3.182 x 1.414 / 2 = 2.25 < 3 (S = 3: 4.303 x 1.414 / 1.732 = 3.51)
    assert (f.power.chips_needed, f.power.trainings_needed) == (5, 4)
    (row,) = finding_rows(SimpleNamespace(findings=[f]))
    assert (row.train_ci_low, row.train_ci_high) == (
        pytest.approx(3 - 12.706, abs=1e-3),
        pytest.approx(3 + 12.706, abs=1e-3),
    )
    assert (row.chips_needed, row.trainings_needed, row.seeds) == (5, 4, 2)
    text = _result(f)
    assert "chip sd 2.00" in text and "2 trainings: sd 1.41" in text
    assert "would decide: about 5 chips and about 4 trainings" in text
