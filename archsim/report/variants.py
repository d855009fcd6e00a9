"""Grouping and naming the sweep's design points for tables and legends (the names
themselves are `explore.naming`'s, which the answer page's sentences share)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from archsim.explore.naming import model_width, variant

__all__ = ["model_width", "unique", "variant"]


def unique(values: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(values))
