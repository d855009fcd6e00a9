"""Naming a sweep's trained models in tables, legends and the answer page's sentences."""

from __future__ import annotations

from archsim.explore.records import DesignPoint


def variant(point: DesignPoint, with_recal: bool = True) -> str:
    """Short name of a trained model: method and rate, pruning, recalibration."""
    method, rate = point.method, point.train_rate
    if method == "standard":
        name = "standard"
    elif method == "dropconnect":
        name = f"drop-connect p={rate:g}"
    else:
        name = f"{method} P={rate:g}"
    if point.prune:
        name += f" [{point.prune}]"
    if with_recal and point.recalibrate:
        name += " +recal"
    return name


def model_width(point: DesignPoint) -> str:
    return f"{point.model} x{point.width:g}"
