"""Hardware blocks a component module adds to the schema (zigzag style: validated first).

`hwschema.HardwareConfig` names the blocks of the shipped components. A component whose
config block lives in its own module (`archsim/hw/<name>.py`, registered in
`archsim/hw/registry.py`) registers the block here, under the level section it sits in
(`ima`, `tile` or `chip`); `hardware_model()` is then the schema with that block added as
a required field, validated as strictly as the rest (unknown keys, NaN and infinity
refused, errors one line with the key path) before any component is built. While a block is
registered every hardware description must carry it: a component without its costs is an
error, never a zero.

Registration happens when its module is imported, so a process must import `archsim.hw` (as
every cost path does) before loading a description that names such a block; before that the
block is an unknown key, refused with one line like any other.
"""

from typing import Any, TypeVar

from pydantic import BaseModel, create_model

from archsim.config.hwparts import Component
from archsim.config.hwschema import ChipConfig, HardwareConfig, ImaConfig, TileConfig
from archsim.errors import UserError

SECTIONS: dict[str, type[BaseModel]] = {"ima": ImaConfig, "tile": TileConfig, "chip": ChipConfig}

BlockT = TypeVar("BlockT", bound=Component)

_REGISTERED: dict[tuple[str, str], type[Component]] = {}
_MODELS: dict[tuple[tuple[str, str, type[Component]], ...], type[HardwareConfig]] = {}


def register_block(section: str, name: str, model: type[Component]) -> None:
    """Add block `name` (validated by `model`) to the `section` of every description."""
    base = SECTIONS.get(section)
    if base is None:
        raise ValueError(f"no section '{section}' for block '{name}' (sections: ima, tile, chip)")
    known = _REGISTERED.get((section, name))
    if name in base.model_fields or (known is not None and known is not model):
        raise ValueError(f"{section}.{name} is already a block of the hardware schema")
    _REGISTERED[(section, name)] = model


def unregister_block(section: str, name: str) -> None:
    _REGISTERED.pop((section, name), None)


def is_static_block(section: str, name: str) -> bool:
    """Whether the schema itself names `section.name` (a shipped component's block)."""
    base = SECTIONS.get(section)
    return base is not None and name in base.model_fields


def hardware_model() -> type[HardwareConfig]:
    """`HardwareConfig`, or a subclass whose sections also hold the registered blocks."""
    if not _REGISTERED:
        return HardwareConfig
    key = tuple(sorted((s, n, m) for (s, n), m in _REGISTERED.items()))
    model = _MODELS.get(key)
    if model is None:
        sections: dict[str, Any] = {}
        for section, base in SECTIONS.items():
            blocks: dict[str, Any] = {
                n: (m, ...) for (s, n), m in _REGISTERED.items() if s == section
            }
            if blocks:
                extended = create_model(base.__name__, __base__=base, **blocks)
                sections[section] = (extended, ...)
        model = create_model("HardwareConfig", __base__=HardwareConfig, **sections)
        _MODELS[key] = model
    return model


def block(hw: HardwareConfig, section: str, name: str, model: type[BlockT]) -> BlockT:
    """The validated block `section.name` of `hw`, typed as its model."""
    found = getattr(getattr(hw, section), name, None)
    if not isinstance(found, model):
        raise UserError(f"hardware {hw.name} has no block {section}.{name}")
    return found
