"""`archsim faults import / export`: measured defect maps in and out, checked against the
mapping a checkpoint is evaluated on (formats: faults/labformats.py, docs/defect-maps.md)."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from archsim.cli.output import emit, format_option

if TYPE_CHECKING:
    from archsim.api.defects import DefectMapWritten

COLUMNS = ("file", "crossbars", "used", "faulty_cells", "ignored_cells", "faulty_fraction")
PLACEMENT = (
    click.option("--checkpoint", required=True, type=click.Path(dir_okay=False),
                 help="The trained net the map is for (its mapping decides the positions)."),
    click.option("--model", help="Your own network (FILE.py:FACTORY) a checkpoint of it needs: "
                 "a checkpoint never imports code by itself."),
    click.option("--hw", "hardware", help="Hardware (default: the checkpoint's)."),
    click.option("--policy", help="Placement policy (default: the checkpoint's)."),
    click.option("--override", "overrides", multiple=True, metavar="NAME=rram|cpu",
                 help="Per-layer placement override; repeatable."),
)  # fmt: skip


Command = TypeVar("Command", bound=Callable[..., Any])


def placement_options(command: Command) -> Command:
    for option in reversed(PLACEMENT):
        command = option(command)
    return command


def _row(output: str, written: "DefectMapWritten") -> dict[str, object]:
    return {"file": output, "crossbars": written.crossbars, "used": written.used,
            "faulty_cells": written.faulty_cells, "ignored_cells": written.ignored_cells,
            "faulty_fraction": round(written.chip.faulty_fraction(), 6)}  # fmt: skip


@click.group("faults")
def faults() -> None:
    """Import and export measured defect maps (NPZ per crossbar, CSV per faulty cell)."""


@faults.command("import")
@click.argument("source", type=click.Path(dir_okay=False))
@placement_options
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="The archsim fault map (.safetensors) to write.",
)
@format_option
def import_command(
    source: str,
    checkpoint: str,
    model: str | None,
    hardware: str | None,
    policy: str | None,
    overrides: tuple[str, ...],
    output: str,
    fmt: str,
) -> None:
    """Check a lab's .npz / .csv defect map against the checkpoint's mapping (crossbar sizes,
    states 0/1/2, positions inside the node, every used crossbar present) and write it as an
    archsim fault map for `archsim evaluate --fault-map` (which also reads .npz / .csv)."""
    from archsim.api.defects import MappingChoice, import_defects

    mapped = MappingChoice(hardware=hardware, policy=policy, overrides=overrides, model=model)
    written = import_defects(source, checkpoint, output, mapped)
    emit([_row(output, written)], fmt, COLUMNS)


@faults.command("export")
@placement_options
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="File to write: .npz, .csv or .safetensors.",
)
@click.option(
    "--fault-map",
    type=click.Path(dir_okay=False),
    help="Convert this fault map (any format) instead of drawing a chip.",
)
@click.option(
    "--fault-model",
    default="cell-isaac",
    show_default=True,
    help="Cell-level preset to draw the chip with.",
)
@click.option("--rate", type=float, default=0.01, show_default=True, help="Fault rate.")
@click.option(
    "--chip",
    "chip_index",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Chip index (the same chip evaluate's seed draws).",
)
@click.option(
    "--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of the chips."
)
@format_option
# click passes each option as a parameter: the body puts them into the api's records at once
def export_command(
    checkpoint: str,
    model: str | None,
    hardware: str | None,
    policy: str | None,
    overrides: tuple[str, ...],
    output: str,
    fault_map: str | None,
    fault_model: str,
    rate: float,
    chip_index: int,
    seed: int,
    fmt: str,
) -> None:
    """Write chip CHIP of SEED (or a given fault map) as a defect map by physical position."""
    from archsim.api.defects import DrawnChip, MappingChoice, export_defects

    mapped = MappingChoice(hardware=hardware, policy=policy, overrides=overrides, model=model)
    drawn = DrawnChip(fault_model=fault_model, rate=rate, seed=seed, chip=chip_index)
    written = export_defects(checkpoint, output, mapped=mapped, drawn=drawn, fault_map=fault_map)
    emit([_row(output, written)], fmt, COLUMNS)
