"""Pareto front: design points no other point beats on every objective at once.

A point dominates another when it is at least as good on every objective and strictly better
on one. Accuracy and throughput (images/s) are maximised; energy per image (J) and occupied
area (mm^2) are minimised.

Values are compared with a relative tolerance `REL_TOL` (1e-9): two values within
`REL_TOL * max(|x|, |y|)` of each other are equal (a tie), so a cost computed along another
path of float operations, which differs in its last digits, can neither dominate nor escape
domination. Tied points do not dominate each other: all of them stay on the front. 1e-9 is
far above float64 round-off (about 1e-16 per operation, a few hundred operations per cost)
and far below any difference a design choice makes (a crossbar, a chip, 0.01 accuracy point).
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
REL_TOL = 1e-9  # values closer than this, relative to the larger, are equal


def over_budget(occupied_mm2: float, budget_mm2: float | None) -> bool:
    """True when a design point occupies more than its budget's silicon (beyond `REL_TOL`);
    such a point is kept off the front. No budget given: never over."""
    return budget_mm2 is not None and occupied_mm2 > budget_mm2 * (1 + REL_TOL)


def dominates(a: Sequence[float], b: Sequence[float], maximize: Sequence[bool]) -> bool:
    """True when point `a` dominates point `b` (values within `REL_TOL` are equal)."""
    better = False
    for x, y, up in zip(a, b, maximize, strict=True):
        gain = (x - y) if up else (y - x)  # > 0: a is better on this objective
        tol = REL_TOL * max(abs(x), abs(y))
        if gain < -tol:
            return False
        if gain > tol:
            better = True
    return better


def non_dominated(points: Sequence[Sequence[float]], maximize: Sequence[bool]) -> list[bool]:
    """For each point, whether no other point dominates it (`dominates`; ties all stay on
    the front)."""
    if not points:
        return []
    signs = np.where(np.asarray(maximize, dtype=bool), -1.0, 1.0)
    costs = np.asarray(points, dtype=np.float64) * signs  # every objective now minimised
    if not np.isfinite(costs).all():
        raise ValueError("Pareto objectives must be finite numbers")
    # [i, j, k]: how much better j is than i on objective k, and the tie tolerance there
    gain = costs[:, None, :] - costs[None, :, :]
    tol = REL_TOL * np.maximum(np.abs(costs[:, None, :]), np.abs(costs[None, :, :]))
    # i is dominated by j when j is no worse than i everywhere and better somewhere.
    no_worse = (gain >= -tol).all(axis=2)
    better = (gain > tol).any(axis=2)
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
