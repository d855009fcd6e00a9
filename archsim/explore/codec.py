"""The one codec between `explore`'s records (frozen keyword-only dataclasses) and their
stored forms: CSV rows (the sweep's tables) and JSON (the fault-tolerance studies, the
results store's design points and statistics), read back with every value checked.

A record's fields are its keys and columns, in declaration order, under four marks:
- `flat()`: a nested record written in place, its keys and columns among its parent's (a row's
  design point and statistics); `flat(skip=...)` leaves some of its columns out of the CSV file;
- `hidden()`: a field the pages read that the CSV file leaves out (per-chip lists, curves);
- `named(name)`: the key and column are `name` where the field cannot be (`yield`);
- `omitted_when_none()`: the JSON key is written only while the field holds a value (and read
  as None when absent).
A record class may list `CSV_LAST` columns, written after all its fields' (a column kept last
in a file written before the record nested it).

Reading (`decode_record`) checks every value against its field's type: a str, a bool, an int
(never a bool), a number (an int or a float, never NaN; kept as written so a file reads back
unchanged), None where the type allows it, a list, a nested object; a missing or unexpected
key is refused, unless `extra=True` (a stored result holds more than the record reads). The
first mismatch raises `FormatError` naming where it is (`runs[0].rows[2].mean`).
"""

from __future__ import annotations

import math
import types
from collections.abc import Iterator
from dataclasses import MISSING, Field, field, fields, is_dataclass
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")
CSV = "csv"  # metadata key: False leaves the field out of the CSV file
NAME = "name"  # metadata key: the key's and column's name, where it is not the field's
FLAT = "flat"  # metadata key: the nested record's columns left out (a tuple), written in place
OMIT = "omit_when_none"  # metadata key: the JSON key is absent while the value is None


class FormatError(ValueError):
    """A stored value that does not match its record; `where` is the path to the value."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}" if where else problem)


def hidden(default: Any = MISSING) -> Any:
    """A field the pages read that the CSV file leaves out."""
    return field(default=default, metadata={CSV: False})


def named(name: str, default: Any = MISSING) -> Any:
    """A field stored under the key and column `name`."""
    return field(default=default, metadata={NAME: name})


def flat(skip: tuple[str, ...] = ()) -> Any:
    """A nested record stored in place; `skip`: its columns the CSV file leaves out."""
    return field(metadata={FLAT: skip})


def omitted_when_none() -> Any:
    """A field whose JSON key is written only when it holds a value."""
    return field(default=None, metadata={OMIT: True})


def _name(f: Field[Any]) -> str:
    return str(f.metadata.get(NAME, f.name))


def _flat(f: Field[Any]) -> bool:
    return FLAT in f.metadata


def _leaves(cls: type, skipped: bool) -> Iterator[str]:
    """The CSV columns of `cls` in place (`skipped`: with the ones `flat(skip=...)` leaves)."""
    hints = get_type_hints(cls)
    for f in fields(cls):
        if _flat(f):
            skip = () if skipped else f.metadata[FLAT]
            yield from (c for c in _leaves(hints[f.name], skipped) if c not in skip)
        elif f.metadata.get(CSV, True):
            yield _name(f)


def csv_columns(cls: type) -> tuple[str, ...]:
    """The CSV columns of the record class `cls`."""
    return (*_leaves(cls, skipped=False), *getattr(cls, "CSV_LAST", ()))


def _cells(record: Any) -> Iterator[tuple[str, Any]]:
    for f in fields(record):
        value = getattr(record, f.name)
        if _flat(f):
            yield from _cells(value)
        elif f.metadata.get(CSV, True):
            yield _name(f), value


def csv_row(record: Any) -> dict[str, Any]:
    """`record`'s CSV cells by column (the values themselves, unformatted)."""
    cells = dict(_cells(record))
    return {c: cells[c] for c in csv_columns(type(record))}


def encode(value: Any) -> Any:
    """The JSON-ready form of a record, a tuple of them or a plain value."""
    if is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in fields(value):
            item = getattr(value, f.name)
            if _flat(f):
                out |= encode(item)
            elif not (f.metadata.get(OMIT) and item is None):
                out[_name(f)] = encode(item)
        return out
    if isinstance(value, tuple):
        return [encode(v) for v in value]
    return value


def _kind(value: Any) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    names |= {int: "an integer", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def decode(hint: Any, value: Any, where: str = "", extra: bool = False) -> Any:
    """`value` (parsed JSON) read as type `hint`, or `FormatError` (`extra`: a nested
    record's keys it does not read are passed over)."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = get_args(hint)
        if value is None and type(None) in options:
            return None
        (inner,) = (o for o in options if o is not type(None))
        return decode(inner, value, where, extra)
    if origin is tuple:
        if not isinstance(value, list):
            raise FormatError(where, f"expected a list, got {_kind(value)}")
        item = get_args(hint)[0]
        return tuple(decode(item, v, f"{where}[{i}]", extra) for i, v in enumerate(value))
    if isinstance(hint, type) and is_dataclass(hint):
        return decode_record(hint, value, where, extra)
    if hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or math.isnan(value):
            raise FormatError(where, f"expected a number, got {_kind(value)}")
        return value
    if hint is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise FormatError(where, f"expected an integer, got {_kind(value)}")
        return value
    if hint is str or hint is bool:
        if not isinstance(value, hint):
            expected = "a string" if hint is str else "a boolean"
            raise FormatError(where, f"expected {expected}, got {_kind(value)}")
        return value
    raise TypeError(f"no JSON reading for {hint!r}")  # a record's field type, not data


def _keys(cls: type) -> Iterator[str]:
    """Every key of `cls`'s JSON object, its flat records' included."""
    hints = get_type_hints(cls)
    for f in fields(cls):
        yield from _keys(hints[f.name]) if _flat(f) else (_name(f),)


def decode_record(cls: type[T], value: Any, where: str = "", extra: bool = False) -> T:
    """The record `cls` read from the JSON object `value`, every field checked (`extra`:
    keys the record does not read are passed over rather than refused)."""
    if not isinstance(value, dict):
        raise FormatError(where, f"expected an object, got {_kind(value)}")
    if not extra:
        known = set(_keys(cls))
        unknown = [k for k in value if k not in known]
        if unknown:
            raise FormatError(where, f"unexpected key {unknown[0]!r}")
    hints = get_type_hints(cls)
    kwargs = {}
    for f in fields(cls):  # type: ignore[arg-type]
        key = _name(f)
        if _flat(f):
            kwargs[f.name] = decode_record(hints[f.name], value, where, extra=True)
            continue
        if key not in value:
            if f.metadata.get(OMIT) or (extra and f.default is not MISSING):
                continue
            raise FormatError(where, f"missing key {key!r}")
        at = f"{where}.{key}" if where else key
        kwargs[f.name] = decode(hints[f.name], value[key], at, extra)
    return cls(**kwargs)
