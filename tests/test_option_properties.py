"""The bad-input corpus by class: hostile values generated for every option and argument of
every command, read from the click definitions themselves, so an option is covered the day it
is added. Each class of value has one bound, checked before the command runs:

- integers outside 64 bits (and 5,000-digit ones), negative seeds, counts of 0 or fewer;
- floats that are not finite (nan, inf, -inf, 1e999);
- text holding a NUL character;
- a path naming a FIFO (reading it would block forever) where a file or folder is read or
  written;
- a word that is none of a choice's words.

Each must end as ONE `error:` line naming the option, exit status 2, nothing on stdout and
nothing created or changed, fast (the command's own work never starts).
"""

from __future__ import annotations

import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archsim.cli import cli
from archsim.cli.guard import COUNTS, FILE_STRINGS, SEED_BOUND

# A harmless value for each required parameter, so the hostile one is what the command sees.
REQUIRED = {
    "model": "lenet5",
    "checkpoint": "ck.safetensors",
    "checkpoints": "ck.safetensors",
    "rates": "0.1",
    "studies": "study.json",
    "store": "out",
    "source": "map.npz",
    "file": "hw.yaml",
    "name": "isaac",
    "output": "written.safetensors",
    "out": "written.pdf",
}


def _commands() -> list[tuple[tuple[str, ...], click.Command]]:
    found: list[tuple[tuple[str, ...], click.Command]] = []

    def walk(command: click.Command, path: tuple[str, ...]) -> None:
        if isinstance(command, click.Group):
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                walk(sub, (*path, name))
        else:
            found.append((path, command))

    walk(cli, ())
    return found


COMMANDS = _commands()
PARAMS = [
    (path, command, param)
    for path, command in COMMANDS
    for param in command.params
    if not (isinstance(param, click.Option) and (param.is_flag or param.is_bool_flag))
    and param.name not in ("help",)
]


def _label(param: click.Parameter) -> str:
    return param.opts[0] if isinstance(param, click.Option) else param.human_readable_name


def _hostile(param: click.Parameter) -> st.SearchStrategy[str]:
    """Values of `param`'s type that must be refused, by class."""
    kind, name = param.type, param.name or ""
    if isinstance(kind, click.Choice):
        words = {str(c) for c in kind.choices}
        return st.text(min_size=1, max_size=8).filter(
            lambda w: w not in words and not w.startswith("-") and "\0" not in w
        )
    if isinstance(kind, click.types.IntParamType):
        huge = st.integers(min_value=SEED_BOUND, max_value=10**40).map(str)
        tiny = st.integers(min_value=-(10**40), max_value=-SEED_BOUND - 1).map(str)
        options = [huge, tiny, st.just("9" * 5000)]
        if "seed" in name:
            options.append(st.integers(min_value=-(2**40), max_value=-1).map(str))
        if name in COUNTS:
            options.append(st.integers(min_value=-(2**20), max_value=0).map(str))
        return st.one_of(*options)
    if isinstance(kind, click.types.FloatParamType):
        return st.sampled_from(["nan", "inf", "-inf", "1e999", "-nan"])
    if isinstance(kind, click.Path) or name in FILE_STRINGS:
        return st.sampled_from(["fifo", "./fifo"])
    if isinstance(kind, click.types.StringParamType):
        return st.text(max_size=6).map(lambda t: f"{t}\0{t}")
    raise AssertionError(f"no hostile values for {_label(param)} of type {kind!r}: add a class")


def _args(
    path: tuple[str, ...], command: click.Command, hostile: click.Parameter, value: str
) -> list[str]:
    args = list(path)
    for param in command.params:
        given = (
            value
            if param is hostile
            else REQUIRED.get(param.name or "")
            if param.required
            else None
        )
        if given is None:
            continue
        if isinstance(param, click.Option):
            args += [param.opts[0], given]
        else:
            args.append(given)
    return args


def _listing(folder: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(folder)), p.lstat().st_mode) for p in folder.rglob("*"))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    place = tmp_path_factory.mktemp("hostile")
    os.mkfifo(place / "fifo")
    return place


def test_every_parameter_type_has_a_class_of_hostile_values() -> None:
    """A new option of a new type fails here until its values get a class."""
    for _, _, param in PARAMS:
        _hostile(param)
    assert len(PARAMS) > 150  # every command's options, read from click


@pytest.mark.parametrize(
    ("path", "command", "param"),
    PARAMS,
    ids=[f"{' '.join(path)} {_label(param)}" for path, _, param in PARAMS],
)
@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_hostile_value_is_one_error_line(
    path: tuple[str, ...],
    command: click.Command,
    param: click.Parameter,
    data: st.DataObject,
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(folder)
    value = data.draw(_hostile(param), label=_label(param))
    before = _listing(folder)
    result = CliRunner().invoke(cli, _args(path, command, param, value))
    lines = result.stderr.splitlines()
    assert result.exit_code == 2, (result.output, result.exception)
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert _label(param) in lines[0] or _label(param).strip("-") in lines[0], lines[0]
    assert result.stdout == ""
    assert _listing(folder) == before
