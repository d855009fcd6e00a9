"""Print records as an aligned table, JSON or CSV (`--format table|json|csv`)."""

import json
from collections.abc import Mapping, Sequence
from typing import Any

import click

from archsim.tables import cell, render_csv, render_table

FORMATS = ("table", "json", "csv")
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output format.",
)


def say_default(name: str, reason: str) -> None:
    """Tell the user (stderr, once the command succeeded) which placement was chosen for them
    and why (`archsim.api.mapping.default_policy`); nothing when they chose it."""
    if reason:
        click.echo(f"placement: {name} (default for {reason})", err=True)


def emit(
    rows: Sequence[Mapping[str, Any]],
    fmt: str,
    columns: Sequence[str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Print `rows`; `extra` (totals, provenance) goes into JSON and below the table."""
    if fmt == "json":
        payload: dict[str, Any] = {"rows": list(rows)}
        if extra:
            payload.update(extra)
        click.echo(json.dumps(payload, indent=2, default=str))
    elif fmt == "csv":
        click.echo(render_csv(rows, columns))
    else:
        click.echo(render_table(rows, columns))
        for key, value in (extra or {}).items():
            click.echo(f"{key}: {cell(value)}")
