"""Every command block of README.md that shows output is run, and prints what the README
shows, numbers included (`readme_blocks`: `...` elides lines or columns; clock times and
durations are masked). `python tests/readme_blocks.py` prints the current outputs to update
the README from."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from readme_blocks import Block, normalised, readme_blocks, run, shows

BLOCKS = readme_blocks()
FAST = ("hw list",)  # quick enough for the fast tier; the rest run in the slow one


def _check(block: Block) -> None:
    actual = run(block)
    diff = "\n".join(difflib.unified_diff(normalised(block.shown), normalised(actual), lineterm=""))
    assert shows(block.shown, actual), (
        f"README.md:{block.line} `{block.command}` prints something else now "
        f"(python tests/readme_blocks.py prints it):\n{diff}"
    )


def _block(command: str) -> Block:
    (block,) = [b for b in BLOCKS if b.command.startswith(command)]
    return block


def test_the_readme_has_its_command_blocks() -> None:
    commands = [b.command.split(" --")[0] for b in BLOCKS]
    assert commands == [
        "archsim map",
        "archsim map",
        "archsim hw list",
        "archsim train",
        "archsim evaluate",
    ]


def test_hw_list_prints_what_the_readme_shows() -> None:
    _check(_block("archsim hw list"))


def test_a_changed_number_in_the_readme_fails() -> None:
    block = _block("archsim hw list")
    actual = run(block)
    assert shows(block.shown, actual)
    row = next(i for i, line in enumerate(block.shown) if line.startswith("isaac "))
    # the last digit of ISAAC's chip power (e.g. 65.8082 W) changed
    edited = [*block.shown]
    power = next(w for w in edited[row].split() if "." in w)  # the first decimal: the power
    changed = power[:-1] + str((int(power[-1]) + 1) % 10)
    edited[row] = edited[row].replace(power, changed, 1)
    assert edited != list(block.shown)
    assert not shows(edited, actual)
    assert not shows(block.shown[:-1], actual)  # a row left out without a `...`


def test_the_comparison_by_hand() -> None:
    out = [
        "12:00:01 epoch 1/2 loss 2.7304 (0.3s)",
        "a  b  c  d",
        "x",
        "y",
        "seconds  ok",
        "1.56  True",
    ]
    assert shows(
        ["20:58:02 epoch 1/2 loss 2.7304 (9.9s)", "a ... d", "...", "seconds ok", "7 True"], out
    )
    assert not shows(["20:58:02 epoch 1/2 loss 2.7305 (9.9s)", "..."], out)  # a number
    assert not shows(["...", "a b d", "..."], out)  # a word missing without `...`
    assert not shows(["...", "seconds ok", "1.56 False"], out)


@pytest.mark.slow
@pytest.mark.parametrize("command", ["archsim map --model vgg13", "archsim map --model resnet20"])
def test_the_map_blocks_print_what_the_readme_shows(command: str) -> None:
    _check(_block(command))


@pytest.mark.slow
def test_train_then_evaluate_print_what_the_readme_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # train writes models/ where it runs; evaluate reads it
    _check(_block("archsim train"))
    _check(_block("archsim evaluate"))
