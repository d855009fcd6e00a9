"""What the long-running commands (train, evaluate, recalibrate) set up before they start:
torch's thread count (`--threads`) and log lines on stderr (the oversubscription warning,
one line per epoch or recalibrated rate).
"""

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from archsim.errors import UserError

F = TypeVar("F", bound=Callable[..., Any])

threads_option: Callable[[F], F] = click.option(
    "--threads",
    type=int,
    help="Torch threads (default: torch's, usually one per core). On a shared or loaded "
    "machine 1 is often much faster than several.",
)


def crossbar_options(command: F) -> F:
    """`--exact`, `--crossbar/--no-crossbar` and `--variation`: how the RRAM layers compute."""
    command = click.option(
        "--time",
        type=float,
        metavar="SECONDS",
        help="With --drift: seconds after programming at which the chip computes.",
    )(command)
    command = click.option(
        "--drift",
        metavar="NAME",
        help="Conductance drift G(t) = G(0) ((t + t0) / t0)^-nu, nu drawn per cell once per "
        "chip: pcm-nandakumar2019 (docs/device-physics.md).",
    )(command)
    command = click.option(
        "--read-noise",
        metavar="NAME[:K]",
        help="Read noise on every column's partial sum before the ADC, per input cycle: "
        "rram-read-1pct (1 % of the top conductance per cell and read), :K for K times it "
        "(docs/device-physics.md).",
    )(command)
    command = click.option(
        "--variation",
        metavar="NAME[:K]",
        help="Programming variation of every cell, drawn once per chip from its seed and "
        "composed with the fault model's stuck cells: rram-wan2022 (NeuRRAM's HfOx RRAM), "
        ":K for K times its sigma (docs/device-physics.md).",
    )(command)
    command = click.option(
        "--crossbar/--no-crossbar",
        default=True,
        show_default=True,
        help="Compute the RRAM layers through their crossbars (input bits, DACs, cells, "
        "ADCs; docs/crossbar-path.md), or only with quantized weights.",
    )(command)
    return click.option(
        "--exact",
        is_flag=True,
        help="Bit-true crossbar path: every column, row block and input cycle through the "
        "ADC (slower; the default fast path is exact wherever the ADC is lossless).",
    )(command)


def crossbar_mode(exact: bool, crossbar: bool) -> str:
    """The path mode the two options name."""
    if exact and not crossbar:
        raise UserError("--exact runs the crossbar path: drop --no-crossbar")
    return "exact" if exact else "fast" if crossbar else "off"


@contextmanager
def running(threads: int | None) -> Iterator[None]:
    """Within the block: torch uses `threads` threads and archsim's log lines (INFO and up)
    go to stderr."""
    import torch

    if threads is not None:
        if threads < 1:
            raise UserError(f"--threads must be >= 1, got {threads}")
        torch.set_num_threads(threads)
    logger = logging.getLogger("archsim")
    handler = logging.StreamHandler(sys.stderr)  # the command's stderr (a test runner's too)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
