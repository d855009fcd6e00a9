"""Find, load and validate hardware descriptions (`--hw NAME` or `--hw path/to/file.yaml`).

A name resolves to `./hwconfigs/NAME.yaml` (the user's own files, relative to the working
directory) and then to the copy shipped inside the package, so a non-editable install works
too. A file may start from another with `base: NAME` and override only what differs. A local
file that shadows a shipped one of the same name is used, with a warning saying so.
"""

import hashlib
import json
import warnings
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import BaseModel, create_model

from archsim.config.blocks import registered_blocks
from archsim.config.hwschema import (
    ChipConfig,
    CpuConfig,
    CpuLinkConfig,
    HardwareConfig,
    ImaConfig,
    NodeConfig,
    PrecisionConfig,
    TileConfig,
)
from archsim.config.variants import derive, normalized, reference, split_reference
from archsim.config.yamlio import deep_merge, load_with_base, validate
from archsim.errors import UserError

_SECTION_MODELS: dict[str, type[BaseModel]] = {
    "ima": ImaConfig,
    "tile": TileConfig,
    "chip": ChipConfig,
}
_MODELS: dict[tuple[tuple[str, str, type[BaseModel]], ...], type[HardwareConfig]] = {}

__all__ = [
    "ChipConfig",
    "CpuConfig",
    "CpuLinkConfig",
    "HardwareConfig",
    "ImaConfig",
    "NodeConfig",
    "PrecisionConfig",
    "ShadowWarning",
    "TileConfig",
    "canonical_hardware",
    "hardware_digest",
    "hardware_dirs",
    "hardware_file",
    "hardware_model",
    "list_hardware",
    "load_hardware",
    "resolve_hardware",
    "with_overrides",
]

SUFFIXES = (".yaml", ".yml")


class ShadowWarning(UserWarning):
    """A hardware name resolved to a local file while archsim ships one of that name."""


def _packaged_dir() -> Path:
    # Wheels install unzipped, so the package folder is a real directory on disk.
    return Path(str(files("archsim").joinpath("hwconfigs")))


def hardware_dirs() -> list[Path]:
    """Folders searched for NAME.yaml, first match wins: ./hwconfigs, then the package's."""
    packaged = _packaged_dir()
    local = Path.cwd() / "hwconfigs"
    dirs = [local] if local.is_dir() else []
    if not any(_same_dir(packaged, d) for d in dirs):
        dirs.append(packaged)
    return dirs


def _same_dir(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def list_hardware() -> list[str]:
    """Names of every hardware description that `load_hardware` can find by name."""
    names = {
        file.stem
        for folder in hardware_dirs()
        for file in folder.iterdir()
        if file.suffix in SUFFIXES and file.is_file()
    }
    return sorted(names)


def _looks_like_path(text: str) -> bool:
    return "/" in text or "\\" in text or text.endswith(SUFFIXES)


def resolve_hardware(name_or_path: str, relative_to: Path | None = None) -> Path:
    """The file a `--hw` value (or a `base:` value inside `relative_to`) refers to."""
    if not name_or_path.strip():
        raise UserError("hardware name is empty")
    direct = Path(name_or_path)
    if relative_to is not None and not direct.is_absolute():
        beside = relative_to.parent / name_or_path
        for candidate in (beside, *(beside.with_name(beside.name + s) for s in SUFFIXES)):
            if candidate.is_file():
                return candidate
    if direct.is_file():
        return direct
    if direct.is_dir() and _looks_like_path(name_or_path):
        raise UserError(f"hardware {name_or_path} is a directory; give a YAML file or a name")
    if _looks_like_path(name_or_path):
        raise UserError(f"hardware file not found: {name_or_path}")
    for folder in hardware_dirs():
        for suffix in SUFFIXES:
            candidate = folder / f"{name_or_path}{suffix}"
            if candidate.is_file():
                _warn_if_shadowing(name_or_path, candidate)
                return candidate
    available = ", ".join(list_hardware()) or "none"
    raise UserError(f"unknown hardware '{name_or_path}' (available: {available})")


def hardware_file(name_or_path: str) -> Path:
    """The file a hardware reference is read from (a variant's: its base's)."""
    return resolve_hardware(split_reference(name_or_path)[0])


def _warn_if_shadowing(name: str, found: Path) -> None:
    packaged = _packaged_dir()
    if _same_dir(found.parent, packaged):
        return
    shipped = [packaged / f"{name}{suffix}" for suffix in SUFFIXES]
    if any(path.is_file() for path in shipped):
        warnings.warn(
            f"hardware '{name}' is {found}, which shadows the shipped '{name}'",
            ShadowWarning,
            stacklevel=3,
        )


def hardware_digest(hw: HardwareConfig) -> str:
    """sha256 (hex, 32 digits) of a description's resolved content (after `base:` merges):
    what results computed on it depend on, whatever the file or name it came from."""
    data = hw.model_dump(mode="json")
    if data["crossbar"].get("wire_ohm") is None:  # unset (ideal wires): as before the key existed
        data["crossbar"].pop("wire_ohm", None)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def hardware_model() -> type[HardwareConfig]:
    """The schema descriptions are validated against: `HardwareConfig`, or a subclass whose
    sections also require every registered block (`archsim/config/blocks.py`)."""
    extra = registered_blocks()
    if not extra:
        return HardwareConfig
    model = _MODELS.get(extra)
    if model is None:
        sections: dict[str, Any] = {}
        for section, base in _SECTION_MODELS.items():
            fields: dict[str, Any] = {n: (m, ...) for s, n, m in extra if s == section}
            clash = sorted(set(fields) & set(base.model_fields))
            if clash:
                raise ValueError(f"{section}.{clash[0]} is already a block of the schema")
            if fields:
                sections[section] = (create_model(base.__name__, __base__=base, **fields), ...)
        model = create_model(HardwareConfig.__name__, __base__=HardwareConfig, **sections)
        _MODELS[extra] = model
    return model


def load_hardware(name_or_path: str | Path) -> HardwareConfig:
    """Resolve, load (following `base:`), validate and return one hardware description; a
    variant reference (`isaac[ima.adc.bits=6]`, `archsim/config/variants.py`) is derived
    from its base."""
    return canonical_hardware(name_or_path)[1]


def canonical_hardware(name_or_path: str | Path) -> tuple[str, HardwareConfig]:
    """A hardware reference's one name (a variant's keys sorted, those at their base's value
    dropped: `isaac[ima.adc.bits=8]` is `isaac`) and its description."""
    base, overrides = split_reference(str(name_or_path))
    if not overrides:
        return str(name_or_path), _load_file(name_or_path)
    hw = _load_file(base)
    changed = normalized(hw, overrides)
    name = reference(base, changed)
    return name, derive(hw, changed, name, hardware_model()) if changed else hw


def _load_file(name_or_path: str | Path) -> HardwareConfig:
    path = resolve_hardware(str(name_or_path))
    data = load_with_base(
        path,
        lambda base, referrer: resolve_hardware(base, referrer),
        # A variant that does not name itself must not inherit its base's name.
        own_defaults={"name": path.stem},
    )
    return validate(hardware_model(), data, str(path))


def with_overrides(
    hw: HardwareConfig, overrides: Mapping[str, Any], source: str = "overrides"
) -> HardwareConfig:
    """A copy of `hw` with `overrides` deep-merged in and validated again.

    For what-if studies and tests, e.g. `with_overrides(hw, {"ima": {"adc": {"count": 4}}})`.
    """
    return validate(hardware_model(), deep_merge(hw.model_dump(), overrides), source)
