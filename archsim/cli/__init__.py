"""The `archsim` command line: a thin click group that parses options and calls `archsim.api`.

Subcommands are imported lazily so `archsim --help` and light commands start fast; every
`UserError` (and OS error on a user's path) becomes one `error:` line and exit status 2.
"""

import importlib
import sys

import click

from archsim import __version__
from archsim.errors import UserError

# name -> ("module:attribute" of a click command, one-line help). A command's module (and
# torch with it) is imported only when that command runs, so `archsim --help` stays fast.
COMMANDS: dict[str, tuple[str, str]] = {
    "pareto": (
        "archsim.cli.pareto:pareto", "Run a sweep and write the Pareto front and PDF report."
    ),
    "report": ("archsim.cli.report:report", "Re-render the PDF report from a results store."),
    "map": (
        "archsim.cli.map:map_command",
        "Map a network onto crossbars: per-layer placement, crossbars, MACs.",
    ),
    "models": ("archsim.cli.models:models", "List the model zoo with parameters and MACs."),
    "hw": ("archsim.cli.hw:hw", "Show, list and validate hardware descriptions."),
    "data": (
        "archsim.cli.data:data", "List the datasets archsim can load and where they were found."
    ),
    "evaluate": (
        "archsim.cli.evaluate:evaluate", "Monte-Carlo accuracy over simulated faulty chips."
    ),
    "train": (
        "archsim.cli.train:train",
        "Train a network: standard, drop-connect, stochastic fault training, pruning.",
    ),
    "recalibrate": (
        "archsim.cli.recalibrate:recalibrate",
        "Recalibrate a checkpoint's BatchNorm statistics per fault model and rate.",
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
        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        return command

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
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            click.echo(f"error: {exc.strerror or exc}{where}", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="archsim")
def cli() -> None:
    """archsim: map a network onto ISAAC-style RRAM crossbars, estimate latency, energy and
    area, simulate stuck-at faults over many chips, train for fault tolerance, and sweep
    design points to an accuracy/cost Pareto front and a PDF report."""


def main() -> None:
    cli(prog_name="archsim")


if __name__ == "__main__":
    sys.exit(main())
