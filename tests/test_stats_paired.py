"""Paired differences over the same chips: the figure the report's gains are given with."""

import pytest

from archsim.faults.stats import paired_difference, t_half_width


def test_paired_difference_by_hand() -> None:
    a, b = [90.0, 80.0, 70.0], [85.0, 76.0, 68.0]
    # differences 5, 4, 2: mean 11/3, sd sqrt(7/3) = 1.5275; t(0.975, 2) = 4.3027:
    # half-width 4.3027 x 1.5275 / sqrt(3) = 3.7946
    diff = paired_difference(a, b)
    assert diff is not None and diff.chips == 3
    assert diff.mean == pytest.approx(11 / 3)
    assert diff.half_width == pytest.approx(3.7946, abs=1e-4)
    # unpaired, the chips' own spread (sd 10 and 8.5) would swamp the 3.7-point gain
    assert t_half_width(a) > 6 * diff.half_width


def test_paired_difference_uses_the_chips_both_were_scored_on() -> None:
    # an adaptive run may stop after fewer chips: chip i pairs with chip i only
    diff = paired_difference([50.0, 60.0, 70.0, 80.0], [40.0, 50.0])
    assert diff is not None and (diff.chips, diff.mean, diff.half_width) == (2, 10.0, 0.0)
    assert paired_difference([50.0], [40.0]) is None


def test_stability_score_interval_maps_the_defect_interval() -> None:
    from archsim.faults.metrics import stability_interval, stability_score

    # SS = 92 / (93 - defect): defect 70 gives 92/23; defect in [65, 75] gives [92/28, 92/18]
    assert stability_score(92.0, 93.0, 70.0) == pytest.approx(92 / 23)
    low, high = stability_interval(92.0, 93.0, 65.0, 75.0)
    assert (low, high) == (pytest.approx(92 / 28), pytest.approx(92 / 18))
    # an upper end at or above the pretrained accuracy: nothing lost, SS unbounded
    assert stability_interval(92.0, 93.0, 90.0, 93.5)[1] == float("inf")
