"""Test helpers: the typed rows of a sweep's tables (`archsim.explore.records`), built by hand
with every field a plain default, so a test states only what it is about (a design-point or
statistics field among the changes goes to the row's `point` or `stats`)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from archsim.explore.records import AccuracyRow, CostRow, DesignPoint, Stats
from archsim.explore.tolerance_rows import ToleranceRow

POINT: dict[str, Any] = {
    "model": "resnet20",
    "hardware": "isaac",
    "net": "resnet20",
    "width": 1.0,
    "dataset": "digits",
    "method": "standard",
    "train_rate": 0.0,
    "prune": "",
    "recalibrate": False,
    "policy": "cpu-1x1",
    "train_seed": 0,
}


def _nested(flat: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`flat` with `changes`, its design-point and statistics fields as `point` and `stats`."""
    merged = {**flat, **changes}
    point = {k: merged.pop(k) for k in POINT}
    stats = {f.name: merged.pop(f.name) for f in fields(Stats) if f.name in merged}
    return {**merged, "point": DesignPoint(**point), "stats": Stats(**stats)}


def accuracy_row(per_chip: list[float] | None = None, **changes: Any) -> AccuracyRow:
    """A row with no cost; `mean` is the per-chip mean unless given."""
    chips = per_chip or [50.0]
    row: dict[str, Any] = {
        **POINT,
        "fault_rate": 0.0,
        "mean": sum(chips) / len(chips),
        "std": None,
        "ci_low": None,
        "ci_high": None,
        "p5": min(chips),
        "p50": sorted(chips)[len(chips) // 2],
        "p95": max(chips),
        "chips": len(chips),
        "clean_acc": None,
        "float_acc": None,
        "quant_acc": None,
        "realised_fraction": None,
        "bn_set": None,
        "throughput_ips": None,
        "latency_s": None,
        "energy_per_image_j": None,
        "dynamic_energy_j": None,
        "static_energy_j": None,
        "images_per_j": None,
        "occupied_area_mm2": None,
        "provisioned_area_mm2": None,
        "budget_chips": None,
        "budget_tiles": None,
        "bottleneck": None,
        "evaluate_key": "e",
        "train_key": "t",
        "per_chip": tuple(chips),
    }
    return AccuracyRow(**_nested(row, changes))


def cost_row(**changes: Any) -> CostRow:
    row: dict[str, Any] = {
        "model": "resnet20",
        "hardware": "isaac",
        "net": "resnet20",
        "width": 1.0,
        "policy": "cpu-1x1",
        "estimator": "des",
        "paper_setting": False,
        "throughput_ips": 1000.0,
        "latency_s": 1e-3,
        "energy_per_image_j": 2e-6,
        "dynamic_energy_j": None,
        "static_energy_j": None,
        "images_per_j": None,
        "occupied_area_mm2": 3.0,
        "provisioned_area_mm2": None,
        "budget_chips": 1,
        "budget_tiles": None,
        "bottleneck": None,
        "crossbars": 40,
        "imas": None,
        "tiles": None,
        "chips": None,
        "utilization": None,
        "rram_macs": None,
        "cpu_macs": None,
        "total_macs": None,
        "rram_layers": None,
        "cpu_layers": None,
        "images": 1,
        "time_for_images_s": 1e-3,
    }
    return CostRow(**{**row, **changes})


def tolerance_row(per_chip: list[float] | None = None, **changes: Any) -> ToleranceRow:
    """A `none` row charged the `cost_row` defaults; `mean` is the per-chip mean unless given."""
    chips = per_chip or [50.0]
    row: dict[str, Any] = {
        **POINT,
        "tolerance": "none",
        "fault_rate": 0.1,
        "mean": sum(chips) / len(chips),
        "std": None,
        "ci_low": None,
        "ci_high": None,
        "p5": min(chips),
        "p50": sorted(chips)[len(chips) // 2],
        "p95": max(chips),
        "chips": len(chips),
        "throughput_ips": 1000.0,
        "energy_per_image_j": 2e-6,
        "occupied_area_mm2": 3.0,
        "crossbars": 40,
        "spare_columns": 0,
        "remap": False,
        "placement": "cpu-1x1",
        "remap_table_bits": 0,
        "remap_seconds_per_chip": None,
        "eval_seconds_per_chip": None,
        "cpu_moved": "",
        "evaluate_key": "e",
        "train_key": "t",
        "per_chip": tuple(chips),
    }
    return ToleranceRow(**_nested(row, changes))
