"""Options checked before a command runs: one bound per kind of value, nothing read from a
device or a FIFO, and no output that replaces an input or anything but a regular file.

Every option of every command gets the same bounds by its type: a float must be finite (NaN and
infinity mean nothing as a rate, width, budget or learning rate), an integer must fit 64 bits
and a seed must lie in [0, 2**63) (numpy and torch take no other), a count (`--batch-size`,
`--limit`, `--pad-to`, ...) must be positive, and no text may hold a NUL character.

Which parameters are outputs is read from their names (`--out`, `--output`, `--pdf`), which are
inputs from their types (every `click.Path`) and a few string options that name files
(`--hw`, `--model file.py:factory`, `--checkpoint`, ...); a new command is covered by the same
rules the day it is added. An output "names an input" when both resolve to the same file: the
same path, a hard link or a symlink (`os.path.samefile`), or the results store inside a folder
given as input.
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path

import click

from archsim.bounds import SEED_BOUND
from archsim.errors import UserError

OUTPUT_PARAMS = frozenset({"out", "output", "pdf", "out_dir"})
# string (not click.Path) parameters whose value may name a file
FILE_STRINGS = frozenset({"hardware", "hw", "model", "checkpoints", "file", "card", "name"})
STORE_NAME = "results.sqlite"  # a folder given as input is read through this file
# what a sweep writes into its output folder (besides the store it resumes from)
FOLDER_OUTPUTS = frozenset(
    {
        "report.pdf",
        "results.csv",
        "pareto.csv",
        "pareto.json",
        "costs.csv",
        "findings.csv",
        "tolerance.csv",
        "tolerance_costs.csv",
    }
)


# integer options that count something: 0 or fewer of them is never meant
COUNTS = frozenset(
    {
        "batch_size",
        "batches",
        "limit",
        "val_limit",
        "pad_to",
        "epochs",
        "recalibrate_batches",
        "pilot_chips",
        "pilot_images",
        "min_chips",
        "chips_per_pass",
        "search_steps",
        "threads",
        "num_classes",
        "budget_chips",
    }
)


def check_values(command: click.Command, params: Mapping[str, object]) -> None:
    """Refuse (one UserError naming the option) a given value out of its type's bound."""
    ctx = click.get_current_context(silent=True)
    for param in command.params:
        if ctx is not None and ctx.get_parameter_source(param.name or "") in _DEFAULTS:
            continue
        option = _option(param)
        for value in _flat(params.get(param.name or "")):
            if isinstance(value, bool):
                continue
            if isinstance(value, float) and not math.isfinite(value):
                raise UserError(f"{option} must be a finite number, got {value}")
            if isinstance(value, int):
                low = 0 if "seed" in (param.name or "") else -SEED_BOUND
                low = 1 if param.name in COUNTS else low
                if not low <= value < SEED_BOUND:
                    shown = (
                        str(value) if len(str(value)) < 40 else f"a {len(str(value))}-digit number"
                    )
                    raise UserError(f"{option} must be in [{low}, 2**63), got {shown}")
            if isinstance(value, str) and "\0" in value:
                raise UserError(f"{option} must not contain a NUL character")


_DEFAULTS = (click.core.ParameterSource.DEFAULT, click.core.ParameterSource.DEFAULT_MAP)


def _flat(value: object) -> Iterator[object]:
    if isinstance(value, tuple | list):
        for item in value:
            yield from _flat(item)
    elif value is not None:
        yield value


def _values(value: object) -> Iterator[str]:
    if isinstance(value, str | os.PathLike):
        yield os.fspath(value)
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _values(item)


def _candidates(text: str) -> Iterator[Path]:
    """The paths a value may name: itself, and the file of `file.py:factory`."""
    if not text or "\0" in text:
        return
    yield Path(text)
    where, colon, _ = text.rpartition(":")
    if colon and where:
        yield Path(where)


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except (OSError, ValueError):
        return None


def _option(param: click.Parameter) -> str:
    return param.opts[0] if isinstance(param, click.Option) else param.human_readable_name


def _inputs(command: click.Command, params: Mapping[str, object]) -> list[tuple[str, Path]]:
    """(option, path) of every existing input; a non-regular file among them is refused."""
    found: list[tuple[str, Path]] = []
    for param in command.params:
        if param.name in OUTPUT_PARAMS:
            continue
        if not isinstance(param.type, click.Path) and param.name not in FILE_STRINGS:
            continue
        for text in _values(params.get(param.name or "")):
            for path in _candidates(text):
                info = _stat(path)
                if info is None:
                    continue
                if stat.S_ISDIR(info.st_mode):
                    store = path / STORE_NAME
                    if (inner := _stat(store)) is not None and stat.S_ISREG(inner.st_mode):
                        found.append((_option(param), store))
                elif stat.S_ISREG(info.st_mode):
                    found.append((_option(param), path))
                else:
                    raise UserError(
                        f"{_option(param)} {text} is not a regular file (a device, FIFO or "
                        "socket); archsim reads only regular files"
                    )
    return found


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def check_paths(command: click.Command, params: Mapping[str, object]) -> None:
    """Refuse (one UserError) an input that is not a regular file, and an output that is not
    a regular file or folder or that would replace one of the command's inputs."""
    inputs = _inputs(command, params)
    for param in command.params:
        if param.name not in OUTPUT_PARAMS:
            continue
        folder = isinstance(param.type, click.Path) and not param.type.file_okay
        for text in _values(params.get(param.name)):
            path, option = Path(text), _option(param)
            info = _stat(path)
            if info is None:
                continue
            if folder and not stat.S_ISDIR(info.st_mode):
                raise UserError(f"{option} {text} exists and is not a folder")
            if folder:
                _check_folder_output(option, path, inputs)
                continue
            if not stat.S_ISREG(info.st_mode):
                raise UserError(
                    f"{option} {text} is not a regular file (a device, FIFO, socket or "
                    "folder); give a file path to write"
                )
            for source, given in inputs:
                if _same(path, given):
                    raise UserError(
                        f"{option} {text} is the same file as the input {source} {given}; "
                        "it would be overwritten: give another output path"
                    )


def _check_folder_output(option: str, folder: Path, inputs: list[tuple[str, Path]]) -> None:
    """An output folder must hold no device or FIFO, nor one of the command's inputs under a
    name the command writes there."""
    for name in sorted(FOLDER_OUTPUTS | {STORE_NAME}):
        info = _stat(folder / name)
        if info is not None and not stat.S_ISREG(info.st_mode):
            raise UserError(
                f"{option} {folder} holds {name}, which is not a regular file; "
                "give another output folder"
            )
    for source, given in inputs:
        if given.name in FOLDER_OUTPUTS and _same(given.parent, folder):
            raise UserError(
                f"{option} {folder} holds the input {source} {given}; the command writes "
                "into that folder: give another output folder"
            )


def guarded(command: click.Command) -> click.Command:
    """`command` (and a group's subcommands) with `check_paths` run before its callback."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            guarded(sub)
        return command
    callback = command.callback
    if callback is None or getattr(callback, "__archsim_guarded__", False):
        return command

    def checked(*args: object, **kwargs: object) -> object:
        check_values(command, kwargs)
        check_paths(command, kwargs)
        return callback(*args, **kwargs)

    checked.__archsim_guarded__ = True  # type: ignore[attr-defined]
    checked.__doc__ = callback.__doc__
    command.callback = checked
    return command
