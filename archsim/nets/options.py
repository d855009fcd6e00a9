"""Checks for net options, each turning a bad value into one UserError line.

Options arrive from Python calls, the CLI and YAML model cards, so values are normalised
here (a YAML list becomes a tuple) and every check names the net and the option.
"""

from collections.abc import Iterable
from numbers import Integral

from archsim.errors import UserError


def choice(net: str, option: str, value: object, allowed: Iterable[str]) -> str:
    """`value` if it is one of `allowed` (compared as text)."""
    allowed = tuple(allowed)
    text = str(value)
    if text not in allowed:
        raise UserError(f"{net}: option {option}={value!r} is not one of {', '.join(allowed)}")
    return text


def positive_int(net: str, option: str, value: object) -> int:
    """`value` as an int if it is an integer >= 1 (bools are rejected though Python calls
    them ints; numpy integers are accepted)."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise UserError(f"{net}: option {option} must be an integer >= 1, got {value!r}")
    return int(value)


def index_tuple(net: str, option: str, value: object, size: int) -> tuple[int, ...]:
    """A sorted tuple of distinct indices in [0, size) from a tuple, list or single int."""
    items: object = (value,) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(items, tuple | list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in items
    ):
        raise UserError(f"{net}: option {option} must be a list of integers, got {value!r}")
    bad = [i for i in items if not 0 <= i < size]
    if bad:
        raise UserError(f"{net}: option {option} has indices {bad} outside 0..{size - 1} (0-based)")
    if len(set(items)) != len(items):
        raise UserError(f"{net}: option {option} repeats an index: {list(items)}")
    return tuple(sorted(items))
