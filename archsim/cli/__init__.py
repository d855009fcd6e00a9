"""The `archsim` command line: a thin click group that parses options and calls the library.

Subcommands are imported lazily so `archsim --help` and light commands start fast. Every
`UserError`, OS error on a user's path and click usage error becomes ONE `error:` line (at
most `MAX_ERROR_CHARS` long) and exit status 2; a warning is one `warning:` line. Output that
cannot be written (a full disk) is an error too; a closed pipe (`| head -1`) ends the command
quietly, as Unix tools do. SIGTERM stops a command the way Ctrl-C does, so worker processes
are shut down and nothing is leaked.
"""

import contextlib
import errno
import importlib
import os
import signal
import sys
import warnings
from collections.abc import Sequence
from types import FrameType
from typing import Any

import click

from archsim import __version__
from archsim.errors import UserError

MAX_ERROR_CHARS = 400  # a message longer than this (e.g. echoing a huge input) is cut
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM

# name -> ("module:attribute" of a click command, one-line help). A command's module (and
# torch with it) is imported only when that command runs, so `archsim --help` stays fast.
COMMANDS: dict[str, tuple[str, str]] = {
    "pareto": (
        "archsim.cli.pareto:pareto",
        "Run a sweep and write the Pareto front and PDF report.",
    ),
    "report": ("archsim.cli.report:report", "Re-render the PDF report from a results store."),
    "map": (
        "archsim.cli.map:map_command",
        "Map a network onto crossbars: per-layer placement, crossbars, MACs.",
    ),
    "models": ("archsim.cli.models:models", "List the model zoo with parameters and MACs."),
    "hw": ("archsim.cli.hw:hw", "Show, list and validate hardware descriptions."),
    "data": (
        "archsim.cli.data:data",
        "List the datasets archsim can load and where they were found.",
    ),
    "evaluate": (
        "archsim.cli.evaluate:evaluate",
        "Monte-Carlo accuracy over simulated faulty chips.",
    ),
    "train": (
        "archsim.cli.train:train",
        "Train a network: standard, drop-connect, stochastic fault training, pruning.",
    ),
    "faults": ("archsim.cli.faults:faults", "Import and export measured defect maps."),
    "recalibrate": (
        "archsim.cli.recalibrate:recalibrate",
        "Recalibrate a checkpoint's BatchNorm statistics per fault model and rate.",
    ),
    "vulnerability": (
        "archsim.cli.tolerance:vulnerability",
        "Per-layer vulnerability with CPU costs, ranked.",
    ),
    "tolerance": (
        "archsim.cli.tolerance:tolerance",
        "Fault-tolerance techniques (placement, remap, spares) paired on chips, with costs.",
    ),
    "ft-report": (
        "archsim.cli.tolerance:ft_report",
        "Draw stored vulnerability / tolerance studies.",
    ),
}


class LazyGroup(click.Group):
    """A click group whose subcommands live in modules imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = COMMANDS[cmd_name][0].split(":")
        from archsim.cli.guard import guarded

        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        return guarded(command)  # its paths checked before it runs

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self._short_help(name)) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def _short_help(self, name: str) -> str:
        if name in COMMANDS:
            return COMMANDS[name][1]
        return self.commands[name].get_short_help_str()

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            say("error", str(exc))
            ctx.exit(EXIT_USER_ERROR)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise  # click ends the command quietly, as `cmd | head -1` expects
            if exc.filename is None and exc.errno == errno.ENOSPC:
                say("error", f"cannot write the output: {exc.strerror}")
                ctx.exit(EXIT_USER_ERROR)
            where = f": {exc.filename}" if exc.filename else ""
            say("error", f"{exc.strerror or exc}{where}")
            ctx.exit(EXIT_USER_ERROR)
        except Terminated:
            say("", "terminated")
            ctx.exit(EXIT_TERMINATED)
        except KeyboardInterrupt:
            say("", "interrupted")
            ctx.exit(EXIT_INTERRUPTED)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """click's main, with usage errors as one line and stdout failures not ignored."""
        previous = signal.signal(signal.SIGTERM, _terminate)
        try:
            with warnings.catch_warnings():
                warnings.showwarning = _show_warning
                code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            sys.stdout.flush()
        except click.UsageError as exc:
            hint = ""
            if exc.ctx is not None:
                hint = f" (see '{exc.ctx.command_path} --help')"
            say("error", f"{exc.format_message()}{hint}")
            code = EXIT_USER_ERROR
        except click.ClickException as exc:
            say("error", exc.format_message())
            code = exc.exit_code
        except click.Abort:
            say("", "interrupted")
            code = EXIT_INTERRUPTED
        except OSError as exc:  # stdout itself could not be written (a full disk, a pipe)
            _silence_stdout()
            code = 1  # a closed pipe: quiet, with click's status for it
            if exc.errno != errno.EPIPE:
                say("error", f"cannot write the output: {exc.strerror or exc}")
                code = EXIT_USER_ERROR
        finally:
            signal.signal(signal.SIGTERM, previous)
        code = code if isinstance(code, int) else 0
        if not standalone_mode:
            return code
        sys.exit(code)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be so the same clean-up runs (workers stopped)."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def one_line(message: str, limit: int = MAX_ERROR_CHARS) -> str:
    """`message` on one line (whitespace runs collapsed), cut to `limit` characters."""
    text = " ".join(message.split())
    if len(text) <= limit:
        return text
    cut = len(text) - limit
    return f"{text[:limit]}... ({cut} more characters)"


def say(prefix: str, message: str) -> None:
    """Print one line on stderr: `prefix: message` (or just the message without a prefix)."""
    line = one_line(message)
    with contextlib.suppress(OSError):  # stderr itself gone: nothing left to tell
        click.echo(f"{prefix}: {line}" if prefix else line, err=True)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    say("warning", str(message))


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush cannot fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is not a real file (a test runner's buffer)
        return


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="archsim")
def cli() -> None:
    """archsim: map a network onto ISAAC-style RRAM crossbars, estimate latency, energy and
    area, simulate stuck-at faults over many chips, train for fault tolerance, and sweep
    design points to an accuracy/cost Pareto front and a PDF report."""


def main() -> None:
    cli(prog_name="archsim")


if __name__ == "__main__":
    main()
