"""The sweep's `tolerance` axis: fault-tolerance techniques every trained point is evaluated
under, at the Pareto fault rates, on the sweep's chips.

A technique is `none` or any of `search`, `remap`, `spare-K` joined by `+` in that order
(`remap+spare-1`, `search+remap`). `search` replaces the sweep's placement (`cost.policy`)
by the placement search's choice (`ft_placement`): layers moved to the CPU from the point's
own vulnerability table, within the energy per image of the sweep's placement. `remap`
permutes each chip's crossbar rows and columns (`faults.remap`), `spare-K` gives every
crossbar block K spare columns (`faults.spares`). `none` is the reference every gain is
paired against; it is evaluated whenever the axis is given, listed or not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archsim.bounds import MAX_SPARE_COLUMNS

_PART = re.compile(r"^(search|remap|spare-([1-9]\d*|0))$")
_ORDER = ("search", "remap", "spare")
REFERENCE = "none"


@dataclass(frozen=True)
class AxisTechnique:
    name: str
    search: bool = False
    remap: bool = False
    spare_columns: int = 0


def parse_axis_technique(text: str) -> AxisTechnique:
    """The technique `text` names; ValueError (one line) when it names none."""
    hint = (
        f"tolerance technique {text!r} must be none, or search, remap, spare-K joined "
        "by '+' in that order (e.g. remap+spare-1)"
    )
    if text == REFERENCE:
        return AxisTechnique(REFERENCE)
    parts = text.split("+")
    matches = [_PART.match(p) for p in parts]
    kinds = [m[1].split("-")[0] if m else "" for m in matches]
    if not all(matches) or kinds != sorted(set(kinds), key=_ORDER.index):
        raise ValueError(hint)
    spares = next((int(m[2]) for m in matches if m and m[2]), 0)
    if "spare" in kinds and not 1 <= spares <= MAX_SPARE_COLUMNS:
        raise ValueError(f"tolerance technique {text!r}: spare-K needs K in 1..{MAX_SPARE_COLUMNS}")
    return AxisTechnique(text, "search" in kinds, "remap" in kinds, spares)


def axis_techniques(names: list[str]) -> list[AxisTechnique]:
    """The reference `none` first, then the listed techniques in order."""
    rest = [n for n in names if n != REFERENCE]
    return [parse_axis_technique(n) for n in [REFERENCE, *rest]]
