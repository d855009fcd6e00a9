"""Naming a sweep's trained models in tables, legends and the answer page's sentences."""

from __future__ import annotations

from typing import Protocol


class Trained(Protocol):
    """A row naming one trained model (every row record of `explore` that has a point)."""

    @property
    def model(self) -> str: ...
    @property
    def width(self) -> float: ...
    @property
    def method(self) -> str: ...
    @property
    def train_rate(self) -> float: ...
    @property
    def prune(self) -> str: ...
    @property
    def recalibrate(self) -> bool: ...


def variant(row: Trained, with_recal: bool = True) -> str:
    """Short name of a trained model: method and rate, pruning, recalibration."""
    method, rate = row.method, row.train_rate
    if method == "standard":
        name = "standard"
    elif method == "dropconnect":
        name = f"drop-connect p={rate:g}"
    else:
        name = f"{method} P={rate:g}"
    if row.prune:
        name += f" [{row.prune}]"
    if with_recal and row.recalibrate:
        name += " +recal"
    return name


def model_width(row: Trained) -> str:
    return f"{row.model} x{row.width:g}"
