"""Rows of a sweep's `tolerance` axis, joined from its expansion and the results store.

Each row is one trained point under one technique at one Pareto fault rate, with its
accuracy over the sweep's chips, its charged cost (`kinds/tolerance.py`), and what it gained
and spent against the same point's `none` on the same chips: the paired accuracy difference
(`faults.stats.paired_difference`, 95% Student-t) and the throughput, energy and area
differences. Jobs missing from the store are left out, never invented.
"""

from __future__ import annotations

from typing import Any

from archsim.explore.expansion import Expansion
from archsim.explore.tolerance_axis import REFERENCE
from archsim.faults.stats import paired_difference

STATS = (
    "mean",
    "std",
    "ci_low",
    "ci_high",
    "p5",
    "p50",
    "p95",
    "chips",
    "throughput_ips",
    "energy_per_image_j",
    "occupied_area_mm2",
    "crossbars",
    "spare_columns",
    "remap",
    "placement",
    "remap_table_bits",
    "remap_seconds_per_chip",
    "eval_seconds_per_chip",
)
SPENT = ("throughput_ips", "energy_per_image_j", "occupied_area_mm2")
COLUMNS = (
    "model",
    "width",
    "dataset",
    "method",
    "train_rate",
    "prune",
    "policy",
    "train_seed",
    "tolerance",
    "fault_rate",
    *STATS,
    "cpu_moved",
    "gain",
    "gain_half_width",
    "gain_chips",
    "delta_throughput_ips",
    "delta_energy_per_image_j",
    "delta_occupied_area_mm2",
    "evaluate_key",
    "train_key",
)
COST_COLUMNS = (
    "model",
    "width",
    "policy",
    "tolerance",
    "placement",
    "cpu_moved",
    "spare_columns",
    "remap",
    "throughput_ips",
    "energy_per_image_j",
    "occupied_area_mm2",
    "crossbars",
    "remap_table_bits",
    "delta_throughput_ips",
    "delta_energy_per_image_j",
    "delta_occupied_area_mm2",
)


def _pair_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted((k, v) for k, v in row.items() if k in COLUMNS[:8] or k == "fault_rate"))


def tolerance_rows(
    expansion: Expansion, results: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    rows = []
    for ev in expansion.tolerance_evaluations:
        result = results.get(ev.key)
        if result is None:
            continue
        row = {
            **ev.point,
            "fault_rate": ev.fault_rate,
            **{name: result.get(name) for name in STATS},
            "cpu_moved": " ".join(result.get("cpu_moved", [])),
            "per_chip": result.get("per_chip", []),
            "evaluate_key": ev.key,
            "train_key": ev.train_key,
        }
        rows.append(row)
    reference = {_pair_key(r): r for r in rows if r["tolerance"] == REFERENCE}
    for row in rows:
        ref = reference.get(_pair_key(row))
        d = paired_difference(row["per_chip"], ref["per_chip"]) if ref else None
        row.update(
            gain=d.mean if d else None,
            gain_half_width=d.half_width if d else None,
            gain_chips=d.chips if d else None,
        )
        row.update({f"delta_{name}": row[name] - ref[name] if ref else None for name in SPENT})
    return rows


def tolerance_costs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One cost row per (model, width, placement, technique): what the technique is charged
    (the search's placement depends on the trained point, so it may give several rows)."""
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        key = (r["model"], r["width"], r["policy"], r["tolerance"], r["placement"], r["cpu_moved"])
        seen.setdefault(key, {name: r.get(name) for name in COST_COLUMNS})
    return list(seen.values())
