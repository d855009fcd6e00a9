"""Pareto front: design points no other point beats on every objective at once.

A point dominates another when it is at least as good on every objective and strictly better
on one. Accuracy and throughput (images/s) are maximised; energy per image (J) and occupied
area (mm^2) are minimised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

OBJECTIVES: tuple[tuple[str, bool], ...] = (
    ("accuracy", True),
    ("throughput_ips", True),
    ("energy_per_image_j", False),
    ("occupied_area_mm2", False),
)


def dominates(a: Sequence[float], b: Sequence[float], maximize: Sequence[bool]) -> bool:
    """True when point `a` dominates point `b`."""
    better = False
    for x, y, up in zip(a, b, maximize, strict=True):
        if (x < y) if up else (x > y):
            return False
        if x != y:
            better = True
    return better


def non_dominated(points: Sequence[Sequence[float]], maximize: Sequence[bool]) -> list[bool]:
    """For each point, whether no other point dominates it (ties all stay on the front)."""
    if not points:
        return []
    signs = np.where(np.asarray(maximize, dtype=bool), -1.0, 1.0)
    costs = np.asarray(points, dtype=np.float64) * signs  # every objective now minimised
    if not np.isfinite(costs).all():
        raise ValueError("Pareto objectives must be finite numbers")
    # i is dominated by j when j <= i everywhere and j < i somewhere.
    no_worse = (costs[None, :, :] <= costs[:, None, :]).all(axis=2)
    better = (costs[None, :, :] < costs[:, None, :]).any(axis=2)
    dominated = np.asarray(np.logical_and(no_worse, better).any(axis=1))
    return [not d for d in dominated.tolist()]


def pareto_front(
    rows: Sequence[Mapping[str, Any]],
    objectives: Sequence[tuple[str, bool]] = OBJECTIVES,
) -> list[dict[str, Any]]:
    """`rows` with a boolean `on_front` added (rows must hold every objective's column)."""
    points = [[float(row[name]) for name, _ in objectives] for row in rows]
    flags = non_dominated(points, [up for _, up in objectives])
    return [{**row, "on_front": flag} for row, flag in zip(rows, flags, strict=True)]
