"""Hardware variants: one description with a few keys changed, named by what changed.

`isaac[ima.adc.bits=6]` is ISAAC with 6-bit ADCs; `chips/mine.yaml[crossbar.rows=64,
ima.adc.bits=7]` that file's chip with 64-row arrays and 7-bit ADCs. A variant's name is a
reference: `load_hardware` takes it wherever it takes a name or a path (`--hw`, a sweep's
`cost.hardware`, every job of a sweep) and derives the variant from its base on load. The key is
set, what the component models say follows from it is derived (`VARIABLE`), and the whole
description is validated as a file is, the power check included, so a bad key or value is
one error line.

In a name the keys are sorted and a key at its base's value is left out (`normalized`), so
one design has one name: `isaac[ima.adc.bits=8]` is `isaac`.
"""

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from archsim.config.hwschema import HardwareConfig
from archsim.config.yamlio import describe_errors, validate
from archsim.errors import UserError

# The keys a variant may change, and what follows from each (the rest of the description is
# the base's). A key whose cost consequence no component model states (a DAC's bits, a cell's
# encoding) is refused: write a description file that states its figures instead.
VARIABLE: dict[str, str] = {
    "ima.adc.bits": "the ADC's energy per conversion, power and area x 2 per bit "
    "(hwparts.AdcConfig.at_bits)",
    "ima.adc.count": "ADCs per IMA, each the base's",
    "crossbar.rows": "one DAC per row, so DACs per IMA follow; the array's power and area "
    "scale with its cells (hwparts.CrossbarConfig.resized)",
    "crossbar.cols": "one sample-and-hold per column, so they follow; the array's power and "
    "area scale with its cells",
    "crossbar.bits_per_cell": "cells per weight follow; per-cell figures kept",
    "precision.weight_bits": "cells per weight follow",
    "precision.input_bits": "input cycles through the DACs follow",
}

_INTEGER = re.compile(r"-?[0-9]+")


def check_key(key: str, where: str) -> None:
    if key not in VARIABLE:
        raise UserError(f"{where}: {key!r} cannot vary (keys that can: {', '.join(VARIABLE)})")


def split_reference(text: str) -> tuple[str, dict[str, int]]:
    """A hardware reference's base (a name or path) and its overrides; no brackets, none."""
    stripped = text.strip()
    if not stripped.endswith("]") or "[" not in stripped:
        return text, {}
    base, _, body = stripped[:-1].rpartition("[")
    where = f"hardware {text!r}"
    if not base.strip():
        raise UserError(f"{where}: name a description before '['")
    overrides: dict[str, int] = {}
    for item in body.split(","):
        key, sep, value = (part.strip() for part in item.partition("="))
        if not sep or not key:
            raise UserError(f"{where}: write KEY=VALUE inside [...], got {item.strip()!r}")
        check_key(key, where)
        if key in overrides:
            raise UserError(f"{where}: {key} is given twice")
        if not _INTEGER.fullmatch(value):
            raise UserError(f"{where}: {key} must be a whole number, got {value!r}")
        overrides[key] = int(value)
    return base.strip(), overrides


def reference(base: str, overrides: Mapping[str, int]) -> str:
    """The name of `base` with `overrides`: `base[key=value,...]`, keys sorted."""
    if not overrides:
        return base
    return f"{base}[{','.join(f'{key}={overrides[key]}' for key in sorted(overrides))}]"


def _block(hw: BaseModel, key: str) -> tuple[BaseModel, str]:
    *path, leaf = key.split(".")
    node = hw
    for part in path:
        node = getattr(node, part)
    return node, leaf


def value_of(hw: HardwareConfig, key: str) -> Any:
    block, leaf = _block(hw, key)
    return getattr(block, leaf)


def normalized(hw: HardwareConfig, overrides: Mapping[str, int]) -> dict[str, int]:
    """`overrides` without the keys `hw` already has at that value."""
    return {key: value for key, value in overrides.items() if value_of(hw, key) != value}


def _check_value(hw: HardwareConfig, key: str, value: int, where: str) -> None:
    """The key's own bounds, reported at the key (before the derived figures are checked)."""
    block, leaf = _block(hw, key)
    try:
        type(block).model_validate({**block.model_dump(), leaf: value})
    except ValidationError as exc:
        prefix = key.rsplit(".", 1)[0]
        raise UserError(f"{where}: {prefix}.{describe_errors(type(block), exc)}") from None


def _set(data: dict[str, Any], key: str, value: int) -> None:
    *path, leaf = key.split(".")
    node = data
    for part in path:
        node = node[part]
    node[leaf] = value


def derive(
    hw: HardwareConfig, overrides: Mapping[str, int], name: str, model: type[HardwareConfig]
) -> HardwareConfig:
    """`hw` with `overrides` set and their consequences derived, named `name`, validated
    against `model` (the schema with every registered block)."""
    where = f"hardware {name}"
    for key, value in overrides.items():
        check_key(key, where)
        _check_value(hw, key, value, where)
    data = hw.model_dump()
    rows = overrides.get("crossbar.rows", hw.crossbar.rows)
    cols = overrides.get("crossbar.cols", hw.crossbar.cols)
    if (rows, cols) != (hw.crossbar.rows, hw.crossbar.cols):
        data["crossbar"] = hw.crossbar.resized(rows, cols).model_dump()
    if "ima.adc.bits" in overrides:
        data["ima"]["adc"] = hw.ima.adc.at_bits(overrides["ima.adc.bits"]).model_dump()
    for key, value in overrides.items():
        _set(data, key, value)
    changes = ", ".join(
        f"{key} {value_of(hw, key)} -> {overrides[key]}" for key in sorted(overrides)
    )
    data["name"] = name
    data["description"] = f"{hw.description.rstrip('.')}. Variant: {changes}."
    return validate(model, data, where)
