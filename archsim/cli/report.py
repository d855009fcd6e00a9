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
    from archsim.explore.results import load_sweep
    from archsim.explore.store import ResultsStore
    from archsim.explore.sweep import check_writable
    from archsim.report.pdf import render_report

    with ResultsStore.open(store, create=False) as opened:
        data = load_sweep(opened)
        target = out if out is not None else opened.root / "report.pdf"
    check_writable(target.parent)
    click.echo(str(render_report(data, target)))
