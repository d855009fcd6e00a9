"""Help text built from a registry never breaks a name, whatever the registry holds: click
wraps help after a hyphen (`colline-` / `isaac`), which a user would copy wrong."""

import re

import pytest
from click.testing import CliRunner

from archsim.cli import cli
from archsim.faults.clustered import ClusterModel
from archsim.faults.presets import PRESETS


@pytest.mark.parametrize("width", [60, 80, 200])
def test_evaluate_help_lists_every_preset_whole(
    monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    # a preset added the way CONTRIBUTING.md says: one more entry in the registry, with a
    # long hyphenated name that would straddle the end of a line
    toy = ClusterModel(
        "wordline-burst-isaac", "cluster", 1.75, 9.04, "toy word-line bursts", "row-line", 8
    )
    monkeypatch.setitem(PRESETS, "wordline-burst-isaac", toy)
    result = CliRunner().invoke(cli, ["evaluate", "--help"], terminal_width=width)
    assert result.exit_code == 0, result.output
    words = set(re.findall(r"[\w:-]+", result.output))
    missing = [name for name in PRESETS if name not in words]
    assert missing == [], result.output
    assert "wordline-burst-isaac" in words
