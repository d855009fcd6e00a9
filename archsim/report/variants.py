"""Grouping and naming the sweep's design points for tables and legends."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Row = dict[str, Any]


def variant(row: Row, with_recal: bool = True) -> str:
    """Short name of a trained model: method and rate, pruning, recalibration."""
    method, rate = row["method"], row["train_rate"]
    if method == "standard":
        name = "standard"
    elif method == "dropconnect":
        name = f"drop-connect p={rate:g}"
    else:
        name = f"{method} P={rate:g}"
    if row.get("prune"):
        name += f" [{row['prune']}]"
    if with_recal and row.get("recalibrate"):
        name += " +recal"
    return name


def model_width(row: Row) -> str:
    return f"{row['model']} x{row['width']:g}"


def unique(values: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


def preferred_recal(rows: list[Row]) -> bool:
    """Recalibrated results when the sweep has them (what a deployed chip would use)."""
    return any(r["recalibrate"] for r in rows)


def main_rows(rows: list[Row], policy: str) -> list[Row]:
    """Rows under the sweep's main placement, with the preferred recalibration setting."""
    rows = [r for r in rows if r["policy"] == policy]
    recal = preferred_recal(rows)
    return [r for r in rows if r["recalibrate"] == recal]
