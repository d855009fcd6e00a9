"""Pareto front: no point on it is dominated, and every dominated point is off it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from archsim.explore.pareto import dominates, non_dominated, pareto_front

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
