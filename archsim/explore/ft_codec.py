"""JSON form of the fault-tolerance study records (`ft_records`), read and written from their
fields: a record is an object whose keys are its fields in declaration order, a tuple is a
list, and a field marked `omitted_when_none()` is left out while it is None (and read as None
when absent).

Reading checks every value against its field's type: a str, a bool, an int (never a bool), a
number (an int or a float, never NaN; kept as written so a file reads back unchanged), None
where the type allows it, a list, a nested object; a missing or unexpected key is refused.
The first mismatch raises `FormatError` naming where it is (`runs[0].rows[2].mean`).
"""

from __future__ import annotations

import math
import types
from dataclasses import field, fields, is_dataclass
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

OMIT = "omit_when_none"  # metadata key: the key is absent while the value is None

T = TypeVar("T")


class FormatError(ValueError):
    """A stored study that does not match its records; `where` is the path to the value."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}" if where else problem)


def omitted_when_none() -> Any:
    """A field whose key is written only when it holds a value."""
    return field(default=None, metadata={OMIT: True})


def encode(value: Any) -> Any:
    """The JSON-ready form of a record, a tuple of them or a plain value."""
    if is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: encode(getattr(value, f.name))
            for f in fields(value)
            if not (f.metadata.get(OMIT) and getattr(value, f.name) is None)
        }
    if isinstance(value, tuple):
        return [encode(v) for v in value]
    return value


def _kind(value: Any) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    names |= {int: "an integer", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def decode(hint: Any, value: Any, where: str = "") -> Any:
    """`value` (parsed JSON) read as type `hint`, or `FormatError`."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = get_args(hint)
        if value is None and type(None) in options:
            return None
        (inner,) = (o for o in options if o is not type(None))
        return decode(inner, value, where)
    if origin is tuple:
        if not isinstance(value, list):
            raise FormatError(where, f"expected a list, got {_kind(value)}")
        item = get_args(hint)[0]
        return tuple(decode(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if isinstance(hint, type) and is_dataclass(hint):
        return decode_record(hint, value, where)
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


def decode_record(cls: type[T], value: Any, where: str = "") -> T:
    """The record `cls` read from the JSON object `value`, every field checked."""
    if not isinstance(value, dict):
        raise FormatError(where, f"expected an object, got {_kind(value)}")
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    extra = [k for k in value if k not in known]
    if extra:
        raise FormatError(where, f"unexpected key {extra[0]!r}")
    kwargs = {}
    for f in fields(cls):  # type: ignore[arg-type]
        at = f"{where}.{f.name}" if where else f.name
        if f.name not in value:
            if f.metadata.get(OMIT):
                continue
            raise FormatError(where, f"missing key {f.name!r}")
        kwargs[f.name] = decode(hints[f.name], value[f.name], at)
    return cls(**kwargs)
