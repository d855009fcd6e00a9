"""Component blocks added to the hardware schema by registration (zigzag style: a YAML
description is validated, block by block, before any component is built from it).

`hwschema.HardwareConfig` names the blocks its own checks and the mapper read (the crossbar,
the ADCs, DACs, router, ...). Any other component block is registered here under the section
it sits in (`ima`, `tile` or `chip`): by `archsim/config/hwparts.py` for a shipped
component (so every process that loads a description knows it), or by
`archsim.hw.registry.register` for a component whose block model lives in its own module (a
what-if or out-of-tree component; its module must be imported before a description naming
the block is loaded, else the block is an unknown key, refused like any other).
`archsim.config.hardware` validates against the schema with every registered block as a
required field, as strictly as the rest (unknown keys, NaN and infinity refused, errors one
line with the key path): while a block is registered, a description without it is refused,
so a component's costs can never be missing and count as zero.
"""

from typing import TypeVar

from pydantic import BaseModel

from archsim.errors import UserError

SECTIONS = ("ima", "tile", "chip")

BlockT = TypeVar("BlockT", bound=BaseModel)

_REGISTERED: dict[tuple[str, str], type[BaseModel]] = {}


def register_block(section: str, name: str, model: type[BaseModel]) -> None:
    """Add block `name` (validated by `model`) to `section` of every hardware description."""
    if section not in SECTIONS:
        raise ValueError(f"no section '{section}' for block '{name}' (sections: ima, tile, chip)")
    known = _REGISTERED.get((section, name))
    if known is not None and known is not model:
        raise ValueError(f"{section}.{name} is already a registered block")
    _REGISTERED[(section, name)] = model


def unregister_block(section: str, name: str) -> None:
    _REGISTERED.pop((section, name), None)


def registered_blocks() -> tuple[tuple[str, str, type[BaseModel]], ...]:
    """(section, name, model) of every registered block, in registration order."""
    return tuple((section, name, model) for (section, name), model in _REGISTERED.items())


def block(hw: BaseModel, section: str, name: str, model: type[BlockT]) -> BlockT:
    """The validated block `section.name` of a hardware description, typed as its model."""
    found = getattr(getattr(hw, section), name, None)
    if not isinstance(found, model):
        raise UserError(f"hardware {getattr(hw, 'name', '?')} has no block {section}.{name}")
    return found
