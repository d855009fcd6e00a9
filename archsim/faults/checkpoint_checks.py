"""What `evaluate` refuses before it scores a chip: a `--model` or `--width` the checkpoint
does not hold, and images or classes the net was not built for (one error line each); and
what it takes from the checkpoint's record where the user gives nothing (its placement and
hardware), with a note where the two differ."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archsim.data.inputs import InputHandling
from archsim.errors import UserError

if TYPE_CHECKING:
    from archsim.faults.pipeline import EvaluateSpec

DEFAULT_POLICY = "cpu-1x1"
log = logging.getLogger("archsim.faults.pipeline")  # the warnings keep evaluate's logger


def check_identity(spec: EvaluateSpec, path: Path, meta: dict[str, Any]) -> None:
    """Refuse a `--model` or `--width` the checkpoint does not hold."""
    if spec.model:
        from archsim.nets import net_info

        if net_info(spec.model).name != meta["net"]:
            raise UserError(f"{path} holds a {meta['net']}, not a {net_info(spec.model).name}")
    if spec.width is not None and float(spec.width) != float(meta["width"]):
        raise UserError(
            f"{path} holds {meta['net']} width {meta['width']:g}, not width "
            f"{spec.width:g}; drop --width or pick the matching checkpoint"
        )


def check_declared_shape(
    path: Path, meta: dict[str, Any], name: str, handling: InputHandling
) -> None:
    """Refuse, before loading anything, a dataset whose declared image shape the net cannot take."""
    from archsim.data.registry import get_source

    channels, height, width = get_source(name).input_shape
    if handling.pad_to is not None:
        height, width = max(height, handling.pad_to), max(width, handling.pad_to)
    _check_shape(path, meta, name, (channels, height, width), int(meta["num_classes"]))


def check_data(
    path: Path, meta: dict[str, Any], name: str, shape: tuple[int, ...], classes: int
) -> tuple[str, ...]:
    """Refuse data the net cannot take; a note when it is another dataset than training's."""
    _check_shape(path, meta, name, shape, classes)
    trained = meta.get("dataset")
    if trained and trained != name:
        note = f"dataset {name} differs from the checkpoint's training dataset {trained}"
        log.warning("warning: %s", note)
        return (note,)
    return ()


def _check_shape(
    path: Path, meta: dict[str, Any], name: str, shape: tuple[int, ...], classes: int
) -> None:
    """A one-line error when `name`'s images or classes are not what the net was built for."""
    trained_shape = tuple(meta.get("input_shape") or ())
    if (
        shape[0] != meta["in_channels"]
        or classes != meta["num_classes"]
        or (trained_shape and shape != trained_shape)
    ):
        was = f"{'x'.join(map(str, trained_shape))} images, " if trained_shape else ""
        raise UserError(
            f"{path} was built for {was}{meta['in_channels']} channels, {meta['num_classes']} "
            f"classes; {name} gives {'x'.join(map(str, shape))} images, {shape[0]} channels, "
            f"{classes} classes"
        )


def recorded(
    meta: dict[str, Any], key: str, given: str | None, default: str, what: str
) -> tuple[str, tuple[str, ...]]:
    """(value, notes): `given` if any, else the checkpoint's `key`, else `default`."""
    trained = meta.get(key)
    if given is None:
        return (trained if isinstance(trained, str) and trained else default), ()
    if isinstance(trained, str) and trained and given != trained:
        return given, (f"{what} {given} differs from the checkpoint's {trained}",)
    return given, ()


def placement(
    spec: EvaluateSpec, meta: dict[str, Any]
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(policy, overrides, notes) to map the checkpoint with (see the module doc)."""
    trained = meta.get("policy")
    trained_overrides = tuple(meta.get("overrides") or ())
    if spec.policy is None:
        return trained or DEFAULT_POLICY, trained_overrides + spec.overrides, ()
    notes: tuple[str, ...] = ()
    if trained and (spec.policy, spec.overrides) != (trained, trained_overrides):
        was = " ".join((trained, *trained_overrides))
        notes = (
            f"placement {' '.join((spec.policy, *spec.overrides))} differs from the "
            f"checkpoint's training placement {was}",
        )
    return spec.policy, spec.overrides, notes
