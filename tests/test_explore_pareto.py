"""Pareto front: no point on it is dominated, and every dominated point is off it."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from archsim.explore.pareto import REL_TOL, dominates, non_dominated, pareto_front

# Small integer grids make ties and duplicates common, the cases a front gets wrong.
coords = st.integers(min_value=0, max_value=4).map(float)
point_sets = st.integers(min_value=1, max_value=4).flatmap(
    lambda d: st.tuples(
        st.lists(st.lists(coords, min_size=d, max_size=d), min_size=0, max_size=25),
        st.lists(st.booleans(), min_size=d, max_size=d),
    )
)


@settings(max_examples=300, deadline=None)
@given(point_sets)
def test_front_is_exactly_the_non_dominated_points(
    data: tuple[list[list[float]], list[bool]],
) -> None:
    points, maximize = data
    flags = non_dominated(points, maximize)
    assert len(flags) == len(points)
    for i, p in enumerate(points):
        dominated = any(dominates(q, p, maximize) for j, q in enumerate(points) if j != i)
        assert flags[i] == (not dominated)
    if points:  # a non-empty set always has a front
        assert any(flags)


# The same grids (shifted off 0, where a relative tolerance is exact) with some coordinates
# moved by a few units in the last place: what a cost recomputed along another path of float
# operations looks like.
def _nudged(x: float, steps: int) -> float:
    for _ in range(abs(steps)):
        x = math.nextafter(x, math.inf if steps > 0 else -math.inf)
    return x


nudged_sets = point_sets.flatmap(
    lambda data: st.tuples(
        st.just(data),
        st.lists(
            st.lists(st.integers(-3, 3), min_size=len(data[1]), max_size=len(data[1])),
            min_size=len(data[0]),
            max_size=len(data[0]),
        ),
    )
)


@settings(max_examples=300, deadline=None)
@given(nudged_sets)
def test_round_off_neither_adds_nor_removes_a_front_member(
    data: tuple[tuple[list[list[float]], list[bool]], list[list[int]]],
) -> None:
    (grid, maximize), steps = data
    points = [[x + 1.0 for x in p] for p in grid]
    nudged = [
        [_nudged(x, k) for x, k in zip(p, ks, strict=True)]
        for p, ks in zip(points, steps, strict=True)
    ]
    flags = non_dominated(nudged, maximize)
    # no front member is dominated by any row; every row no row dominates is on the front
    for i, p in enumerate(nudged):
        dominated = any(dominates(q, p, maximize) for q in nudged)
        assert flags[i] == (not dominated)
    # ties are equal: nudging by round-off does not move any point on or off the front
    assert flags == non_dominated(points, maximize)


def test_dominance_by_hand() -> None:
    up = [True, False]  # maximise accuracy, minimise latency
    assert dominates([90, 1.0], [80, 2.0], up)
    assert dominates([90, 1.0], [90, 2.0], up)
    assert not dominates([90, 1.0], [90, 1.0], up)  # equal points do not dominate each other
    assert not dominates([90, 2.0], [80, 1.0], up)  # a trade-off
    rows = [
        # throughput in images/s is maximised like accuracy: a trades accuracy for it with b
        {
            "name": "a",
            "accuracy": 90,
            "throughput_ips": 5.0,
            "energy_per_image_j": 1,
            "occupied_area_mm2": 1,
        },
        {
            "name": "b",
            "accuracy": 80,
            "throughput_ips": 10.0,
            "energy_per_image_j": 1,
            "occupied_area_mm2": 1,
        },
        {
            "name": "c",
            "accuracy": 80,
            "throughput_ips": 5.0,
            "energy_per_image_j": 1,
            "occupied_area_mm2": 1,
        },
        {
            "name": "d",
            "accuracy": 90,
            "throughput_ips": 5.0,
            "energy_per_image_j": 1,
            "occupied_area_mm2": 1,
        },
        # e: most accurate-equal and fastest, but it burns more energy: still on the front
        {
            "name": "e",
            "accuracy": 90,
            "throughput_ips": 10.0,
            "energy_per_image_j": 3,
            "occupied_area_mm2": 1,
        },
    ]
    marked = pareto_front(rows)
    assert [r["name"] for r in marked if r["on_front"]] == ["a", "b", "d", "e"]


def test_a_cost_recomputed_in_its_last_digit_is_still_dominated() -> None:
    """The quick preset's case: a `none` row at 13.8 % whose cost came out 2 ulps smaller
    in area and 1 ulp larger in energy than the same design point's row at 62.9 %."""
    area, energy = 4.06784380952381, 1.4761904761904961e-05
    up = [True, True, False, False]
    good = [62.9, 1000.0, energy, area]
    recomputed = [13.8, 1000.0, math.nextafter(energy, 1.0), _nudged(area, -2)]
    assert recomputed[3] < area  # strictly smaller, so an exact comparison let it escape
    assert dominates(good, recomputed, up)
    assert non_dominated([good, recomputed], up) == [True, False]
    # a real saving (1e-6 relative, 1000x the tolerance) is still a trade-off
    cheaper = [13.8, 1000.0, energy, area * (1 - 1000 * REL_TOL)]
    assert non_dominated([good, cheaper], up) == [True, True]
