"""Test helpers: the command blocks of README.md (a fenced block whose first line is
`$ archsim ...`, the rest its printed output), run through the CLI and compared with what the
README shows, numbers included.

What a run cannot repeat is masked on both sides before comparing: clock times (`20:58:02`),
durations (`0.3s`), a table's `seconds` column, and the load-average warning a busy machine
adds. In the README a line `...` stands for any number of output lines, and a `...` word in a
line for any number of words (a table shown with some of its columns).

To update the README after a change that moves its numbers, print what every block prints now:

    PYTHONPATH=$PWD python tests/readme_blocks.py           # every block
    PYTHONPATH=$PWD python tests/readme_blocks.py "hw list" # the blocks whose command has this
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
ELIDED = "..."
MASKS = (
    (re.compile(r"\b\d{1,2}:\d{2}:\d{2}\b"), "<clock>"),
    (re.compile(r"\b\d+(?:\.\d+)?s\b"), "<s>"),
)
NOISE = re.compile(r"warning: load average")


@dataclass(frozen=True)
class Block:
    """One command block: its command's words after `archsim`, and the lines it shows."""

    line: int  # where the block starts in the file (1-based)
    args: tuple[str, ...]
    shown: tuple[str, ...]

    @property
    def command(self) -> str:
        return "archsim " + " ".join(self.args)


def command_blocks(text: str) -> list[Block]:
    """Every fenced block of `text` that starts with `$ archsim` and shows output."""
    blocks = []
    for match in re.finditer(r"^```[a-z]*\n(.*?)^```", text, re.S | re.M):
        lines = match.group(1).splitlines()
        if not lines or not lines[0].startswith("$ archsim "):
            continue
        command = lines[0][2:]
        rest = lines[1:]
        while command.endswith("\\") and rest:
            command = command[:-1] + " " + rest.pop(0).strip()
        if rest:
            start = text.count("\n", 0, match.start()) + 1
            blocks.append(Block(start, tuple(shlex.split(command)[1:]), tuple(rest)))
    return blocks


def _masked(line: str) -> str:
    for pattern, mask in MASKS:
        line = pattern.sub(mask, line)
    return line


def _mask_columns(lines: list[str]) -> list[str]:
    """A table's `seconds` column replaced by `<s>` in its header's rows (same word count)."""
    out, column, width = [], None, 0
    for line in lines:
        words = line.split()
        if "seconds" in words:
            column, width = words.index("seconds"), len(words)
        elif column is not None and len(words) == width:
            words[column] = "<s>"
            line = "  ".join(words)
        elif column is not None:
            column = None
        out.append(line)
    return out


def normalised(lines: list[str] | tuple[str, ...]) -> list[str]:
    kept = [line for line in lines if not NOISE.search(line)]
    return [_masked(line) for line in _mask_columns(kept)]


def _line_pattern(line: str) -> str:
    words = [r"\S+(?:\s+\S+)*?" if w == ELIDED else re.escape(w) for w in line.split()]
    return r"[ \t]*" + r"\s+".join(words) + r"[ \t]*\n"


def shows(expected: list[str] | tuple[str, ...], actual: list[str] | tuple[str, ...]) -> bool:
    """Whether `actual` output lines are what `expected` shows (see the module doc)."""
    pattern = "".join(
        r"(?:[^\n]*\n)*?" if line.strip() == ELIDED else _line_pattern(line)
        for line in normalised(expected)
    )
    text = "".join(f"{line}\n" for line in normalised(actual))
    return re.fullmatch(pattern, text) is not None


def run(block: Block) -> list[str]:
    """The block's command run through the CLI in this process, its output (stdout and
    stderr as a terminal interleaves them) as lines."""
    from archsim.cli import cli

    result = CliRunner().invoke(cli, list(block.args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def readme_blocks() -> list[Block]:
    return command_blocks(README.read_text(encoding="utf-8"))


if __name__ == "__main__":  # print what each block prints now, to paste into the README
    wanted = sys.argv[1] if len(sys.argv) > 1 else ""
    for b in readme_blocks():
        if wanted in b.command:
            print(f"README.md:{b.line}\n$ {b.command}")
            print("\n".join(run(b)) + "\n")
