"""`archsim models`: the zoo with parameters, MACs and the share of MACs in 1x1 convs."""

from typing import Any

import click

from archsim.cli.map import parse_input_shape, parse_widths
from archsim.cli.output import emit, format_option
from archsim.errors import UserError

COLUMNS = (
    "model", "input_shape", "params", "macs", "weight_layers", "macs_1x1_share", "description",
)  # fmt: skip


def model_row(name: str, width: float, input_shape: tuple[int, ...] | None) -> dict[str, Any]:
    """One zoo net's row: `archsim.api.nets.net_facts` at `input_shape` (None: its usual
    input)."""
    from archsim.api.nets import net_facts, net_info

    info = net_info(name)
    shape = input_shape or info.input_shape
    row: dict[str, Any] = {"model": name, "input_shape": ",".join(map(str, shape))}
    try:
        facts = net_facts(name, width, shape)
    except UserError as exc:  # e.g. a net that cannot run at this input size
        return {**row, "params": "", "macs": "", "weight_layers": "", "macs_1x1_share": "",
                "description": f"n/a: {exc}"}  # fmt: skip
    return {
        **row,
        "params": facts.params,
        "macs": facts.macs,
        "weight_layers": facts.weight_layers,
        "macs_1x1_share": round(facts.macs_1x1_share, 4),
        "description": info.description,
    }


@click.command("models")
@click.option("--input-shape", help="Input shape without batch, e.g. 3,32,32 (default: each "
              "net's usual input).")  # fmt: skip
@click.option("--width", default="1.0", show_default=True, help="Channel multiplier.")
@format_option
def models(input_shape: str | None, width: str, fmt: str) -> None:
    """List the model zoo with parameters and MACs per image at an input shape."""
    from archsim.api.nets import list_nets

    widths = parse_widths(width)
    if len(widths) != 1:
        raise UserError(f"--width takes one number here, got {width!r}")
    shape = parse_input_shape(input_shape) if input_shape else None
    rows = [model_row(info.name, widths[0], shape) for info in list_nets()]
    emit(rows, fmt, COLUMNS, extra={"width": widths[0]})
