"""`archsim data`: which datasets archsim can load and where it found them."""

from typing import Any

import click

from archsim.api.data import DATASETS, DatasetInfo, list_datasets
from archsim.cli.output import emit, format_option
from archsim.errors import UserError

TABLE_COLUMNS = ("name", "found", "train", "test", "input", "classes", "where")
CSV_COLUMNS = (*TABLE_COLUMNS, "how_to_get")


def _row(info: DatasetInfo) -> dict[str, Any]:
    where = info.location if info.found else "not found"
    if info.problem:
        where += " (unreadable)"
    return {
        "name": info.name,
        "found": info.found and not info.problem,
        "train": info.train_size,
        "test": info.test_size,
        "input": "x".join(str(d) for d in info.input_shape),
        "classes": info.num_classes,
        "where": where,
        "description": info.description,
        "searched": list(info.searched),
        "problem": info.problem,
        "how_to_get": "" if info.found else info.how_to_get,
    }


def _for_text(row: dict[str, Any]) -> dict[str, Any]:
    """A row as table and CSV show it: yes/no for found, blank for unknown sizes."""
    shown = {key: "" if value is None else value for key, value in row.items()}
    shown["found"] = "yes" if row["found"] else "no"
    return shown


@click.group("data")
def data() -> None:
    """Datasets: the embedded digits, Fashion-MNIST, MNIST, CIFAR-10 and CIFAR-100."""


@data.command("list")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=str),
    default=None,
    help="Directory searched first (then $ARCHSIM_DATA, then system locations).",
)
@format_option
def list_command(names: tuple[str, ...], data_dir: str | None, fmt: str) -> None:
    """List the datasets (or only NAMEs): found or not, where, split sizes, input shape and
    classes. A dataset kept in files is searched for in --data-dir, then in each directory of
    $ARCHSIM_DATA (and their dataset-named subfolders), then where system packages put it."""
    unknown = [name for name in names if name not in DATASETS]
    if unknown:
        raise UserError(f"unknown dataset {unknown[0]!r}; choose one of {', '.join(DATASETS)}")
    infos = [info for info in list_datasets(data_dir) if not names or info.name in names]
    rows = [_row(info) for info in infos]
    if fmt == "json":
        emit(rows, fmt)
        return
    columns = CSV_COLUMNS if fmt == "csv" else TABLE_COLUMNS
    emit([_for_text(row) for row in rows], fmt, columns=columns)
    if fmt == "table":  # the long explanations go below the table, one line per dataset
        for info in infos:
            if info.problem:
                click.echo(f"{info.name}: {info.problem}")
            elif not info.found:
                click.echo(f"{info.name}: {info.how_to_get}")
