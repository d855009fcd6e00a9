"""`archsim faults import / export`: measured defect maps in and out, checked against the
mapping a checkpoint is evaluated on (formats: faults/labformats.py, docs/defect-maps.md)."""

import click

from archsim.cli.output import emit, format_option

COLUMNS = ("file", "crossbars", "used", "faulty_cells", "ignored_cells", "faulty_fraction")
PLACEMENT = (
    click.option("--checkpoint", required=True, type=click.Path(dir_okay=False),
                 help="The trained net the map is for (its mapping decides the positions)."),
    click.option("--hw", "hardware", help="Hardware (default: the checkpoint's)."),
    click.option("--policy", help="Placement policy (default: the checkpoint's)."),
    click.option("--override", "overrides", multiple=True, metavar="NAME=rram|cpu",
                 help="Per-layer placement override; repeatable."),
)  # fmt: skip


def placement_options(command):  # type: ignore[no-untyped-def]
    for option in reversed(PLACEMENT):
        command = option(command)
    return command


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
    hardware: str | None,
    policy: str | None,
    overrides: tuple[str, ...],
    output: str,
    fmt: str,
) -> None:
    """Check a lab's .npz / .csv defect map against the checkpoint's mapping (crossbar sizes,
    states 0/1/2, positions inside the node, every used crossbar present) and write it as an
    archsim fault map for `archsim evaluate --fault-map` (which also reads .npz / .csv)."""
    from archsim.faults.faultmap import save_fault_map
    from archsim.faults.labformats import import_defect_map
    from archsim.faults.measured import checkpoint_target

    target = checkpoint_target(checkpoint, hardware, policy, overrides)
    chip, summary = import_defect_map(source, target.sites, target.mapping)
    save_fault_map(output, chip, target.mapping)
    row = {"file": output, "crossbars": summary.crossbars, "used": summary.used,
           "faulty_cells": summary.faulty_cells, "ignored_cells": summary.ignored_cells,
           "faulty_fraction": round(chip.faulty_fraction(), 6)}  # fmt: skip
    emit([row], fmt, COLUMNS)


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
def export_command(
    checkpoint: str,
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
    from archsim.faults.chip import ChipDrawer
    from archsim.faults.labformats import read_any_fault_map
    from archsim.faults.measured import checkpoint_target, write_any_fault_map
    from archsim.faults.physical import used_crossbars
    from archsim.faults.presets import get_fault_model

    target = checkpoint_target(checkpoint, hardware, policy, overrides)
    if fault_map:
        chip = read_any_fault_map(fault_map, target.sites, target.mapping)
    else:
        m = target.mapping
        drawer = ChipDrawer(
            target.sites, get_fault_model(fault_model), m.crossbar_rows, m.crossbar_cols
        )
        chip = drawer.draw(rate, seed, chip_index)
    write_any_fault_map(output, chip, target)
    used = len(used_crossbars(target.sites))
    row = {"file": output, "crossbars": used, "used": used,
           "faulty_cells": sum(lf.faults for lf in chip.layers.values()), "ignored_cells": 0,
           "faulty_fraction": round(chip.faulty_fraction(), 6)}  # fmt: skip
    emit([row], fmt, COLUMNS)
