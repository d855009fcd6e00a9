"""`archsim pareto`: run a sweep (resuming what its store has) and write the Pareto front,
the result tables and the PDF report."""

from __future__ import annotations

from pathlib import Path

import click

from archsim.cli.presets_help import LazyChoice, LazyHelpOption
from archsim.errors import UserError


def _executors() -> tuple[str, ...]:
    from archsim.api import executor_names

    return executor_names()


def _preset_help() -> str:
    from archsim.api import sweep_presets

    return (
        f"A sweep shipped with archsim: {', '.join(sweep_presets())} (the fmnist-* and "
        "mnist-* presets are sized for a 2-core machine). Default: quick when no --spec "
        "is given."
    )


@click.command("pareto")
@click.option("--preset", cls=LazyHelpOption, help_fn=_preset_help)
@click.option(
    "--spec",
    "spec_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A sweep spec YAML file.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: reports/<sweep name>); it holds the results store, "
    "so rerunning resumes.",
)
@click.option(
    "--executor",
    type=LazyChoice(_executors),
    default="local",
    show_default=True,
    help="Where jobs run.",
)
@click.option(
    "--jobs",
    type=int,
    default=None,
    help="Jobs at once (local: worker processes; default: the CPU count).",
)
@click.option(
    "--address", help="Ray cluster address (with --executor ray); default: start a local one."
)
@click.option("--no-report", is_flag=True, help="Skip the PDF; write the tables only.")
@click.option("--quiet", is_flag=True, help="No progress output.")
def pareto(
    preset: str | None,
    spec_file: Path | None,
    out: Path | None,
    executor: str,
    jobs: int | None,
    address: str | None,
    no_report: bool,
    quiet: bool,
) -> None:
    """Run a sweep and write report.pdf, results.csv and pareto.csv into the output folder.

    Every job is stored in OUT/results.sqlite when it completes; an interrupted sweep (Ctrl-C,
    kill) resumes where it stopped when run again, and a finished one costs nothing. A spec
    with a `tolerance:` list also writes tolerance.csv (each technique's paired gain and
    charged cost) and a tolerance page.
    """
    from archsim.api import run_pareto, sweep_spec
    from archsim.api.sweeps import answer_lines

    if preset and spec_file:
        raise UserError("give --preset or --spec, not both")
    spec = sweep_spec(preset, spec_file)
    folder = out if out is not None else Path("reports") / spec.name
    try:
        result, report = run_pareto(
            spec,
            folder,
            executor=executor,
            jobs=jobs,
            address=address,
            progress=not quiet,
            with_report=not no_report,
        )
    except KeyboardInterrupt:
        store = folder / "results.sqlite"
        if store.exists():
            click.echo(
                f"finished jobs are kept in {store}; run the same command again to resume", err=True
            )
        raise
    if not quiet:
        s = result.summary
        click.echo(
            f"{s.ran} jobs run, {s.skipped} already in the store; results: "
            f"{result.results_csv}, front: {result.pareto_csv}",
            err=True,
        )
    click.echo(str(report or result.results_csv))
    if not quiet:  # the answer page's lines come last: what the sweep found
        for line in answer_lines(result.data):
            click.echo(line, err=True)
