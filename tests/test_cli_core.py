"""The CLI group itself: version, help, one-line errors, and the output formats."""

import json

import click
import pytest
from click.testing import CliRunner

from archsim import __version__
from archsim.cli import COMMANDS, LazyGroup, cli
from archsim.cli.output import render_csv, render_table
from archsim.errors import UserError


def test_version_and_help_list_every_registered_command() -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["--version"]).output.strip() == f"archsim, version {__version__}"
    help_text = runner.invoke(cli, ["--help"]).output
    for name in COMMANDS:
        assert name in help_text


def _group_with(command: click.Command) -> click.Group:
    group = LazyGroup(name="archsim")
    group.add_command(command)
    return group


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (UserError("width must be > 0, got -1"), "error: width must be > 0, got -1\n"),
        (
            FileNotFoundError(2, "No such file or directory", "x.yaml"),
            "error: No such file or directory: x.yaml\n",
        ),
    ],
)
def test_user_errors_become_one_line_and_exit_2(exc: Exception, expected: str) -> None:
    @click.command("boom")
    def boom() -> None:
        raise exc

    result = CliRunner().invoke(_group_with(boom), ["boom"])
    assert result.exit_code == 2
    assert result.output == expected  # one line, no traceback


def test_bugs_keep_their_traceback() -> None:
    @click.command("bug")
    def bug() -> None:
        raise ZeroDivisionError("a real bug")

    result = CliRunner().invoke(_group_with(bug), ["bug"])
    assert isinstance(result.exception, ZeroDivisionError)


ROWS = [
    {"layer": "conv1", "crossbars": 1, "util": 0.2109375},
    {"layer": "fc", "crossbars": 12, "util": 1.0},
]


def test_table_aligns_columns_and_formats_floats() -> None:
    lines = render_table(ROWS).splitlines()
    assert lines[0].split() == ["layer", "crossbars", "util"]
    assert lines[2].split() == ["conv1", "1", "0.2109"]
    assert len({len(line) for line in lines}) == 1  # every line padded to the same width


def test_csv_and_json_round_trip(capsys: pytest.CaptureFixture[str]) -> None:
    expected = ["layer,crossbars,util", "conv1,1,0.2109375", "fc,12,1.0"]
    assert render_csv(ROWS).splitlines() == expected
    from archsim.cli.output import emit

    emit(ROWS, "json", extra={"total_crossbars": 13})
    payload = json.loads(capsys.readouterr().out)
    assert payload == {"rows": ROWS, "total_crossbars": 13}
