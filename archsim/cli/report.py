"""`archsim report`: re-render a sweep's PDF from its results store, computing nothing."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("report")
@click.argument("store", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PDF to write (default: report.pdf beside the store).",
)
def report(store: Path, out: Path | None) -> None:
    """Render the report of the sweep in STORE (a results.sqlite file or its folder)."""
    from archsim.api import report as render

    click.echo(str(render(store, out)))
