"""`archsim map`: map a zoo net onto crossbars and print where each layer runs.

Three steps kept apart: `parse_request` turns the options (a `MapArgs`) into an
`archsim.api.mapping.MapRequest`, `archsim.api.mapping.map_widths` runs the pipeline (map,
balance, plan and estimate each width), and `map_render.render` prints per-layer rows (one
width) or one summary row per width.
"""

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from archsim.cli.map_render import render
from archsim.cli.output import format_option
from archsim.cli.presets_help import (
    LazyChoice,
    LazyHelpOption,
    estimator_help,
    estimator_names,
    policy_help,
)
from archsim.errors import UserError

if TYPE_CHECKING:
    from archsim.api.mapping import MapRequest


@dataclass(frozen=True, kw_only=True)
class MapArgs:
    """`archsim map`'s options as typed on the command line."""

    model: str
    width: str
    hw: str
    policy: str
    overrides: tuple[str, ...] = ()
    options: tuple[str, ...] = ()  # the net's KEY=VALUE options
    dataset: str | None = None
    input_shape: str | None = None
    num_classes: int | None = None
    replicate: bool = True  # balance the pipeline inside the budget (--no-replicate: off)
    budget_chips: str | None = None
    budget_tiles: int | None = None
    pack_imas: bool = False
    allow_unsupported: bool = False


def parse_input_shape(text: str) -> tuple[int, ...]:
    """'3,32,32' (or 3x32x32) -> (3, 32, 32)."""
    parts = [p.strip() for p in re.split(r"[,x]", text.strip())]
    if not parts or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise UserError(f"--input-shape must be positive integers like 3,32,32, got {text!r}")
    return tuple(int(p) for p in parts)


def parse_widths(text: str) -> tuple[float, ...]:
    """'1.0,1.2,1.4' -> (1.0, 1.2, 1.4); each must be a number > 0."""
    widths = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise UserError(f"--width must be numbers > 0 like 1.0,1.4, got {text!r}") from None
        if not value > 0 or value == float("inf"):
            raise UserError(f"--width must be numbers > 0 like 1.0,1.4, got {part.strip()!r}")
        widths.append(value)
    return tuple(widths)


def parse_budget(text: str | None) -> int | str | None:
    """'4' -> 4 chips, 'node' -> every chip of the node, None -> the default rule."""
    if text is None:
        return None
    value = text.strip()
    if value == "node":
        return value
    if value.isdigit() and int(value) > 0:
        return int(value)
    raise UserError(f"--budget-chips must be a number of chips >= 1 or 'node', got {text!r}")


def parse_option(text: str) -> tuple[str, Any]:
    """'shortcut=1x1' -> ('shortcut', '1x1'); values are YAML scalars, '0,3' is a list."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise UserError(f"--option {text!r} must look like KEY=VALUE, e.g. shortcut=1x1")
    from archsim.api.nets import check_option_names

    check_option_names("--option", [key.strip()])
    raw = raw.strip()
    if re.fullmatch(r"\d+(\s*,\s*\d+)+", raw):
        return key.strip(), [int(v) for v in raw.split(",")]
    import yaml

    try:
        value = yaml.safe_load(raw) if raw else ""
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def parse_request(args: MapArgs) -> "MapRequest":
    from archsim.api.data import dataset_shape
    from archsim.api.mapping import MapOptions, MapRequest

    if args.dataset and args.input_shape:
        raise UserError("give either --dataset or --input-shape, not both")
    if args.budget_chips is not None and args.budget_tiles is not None:
        raise UserError("give either --budget-chips or --budget-tiles, not both")
    shape, classes = (None, 10)
    if args.dataset:
        shape, classes = dataset_shape(args.dataset)
    elif args.input_shape:
        shape = parse_input_shape(args.input_shape)
    if args.num_classes is not None:
        if args.num_classes < 1:
            raise UserError(f"--num-classes must be >= 1, got {args.num_classes}")
        classes = args.num_classes
    mapping = MapOptions(policy=args.policy, overrides=args.overrides, replicate=args.replicate,
                         budget_tiles=args.budget_tiles, pack_imas=args.pack_imas,
                         allow_unsupported=args.allow_unsupported)  # fmt: skip
    return MapRequest(
        model=args.model,
        widths=parse_widths(args.width),
        hardware=args.hw,
        mapping=mapping,
        net_options=dict(parse_option(o) for o in args.options),
        input_shape=shape,
        num_classes=classes,
        budget_chips=parse_budget(args.budget_chips),
    )


@click.command("map")
@click.option(
    "--model",
    "-m",
    required=True,
    help="Zoo net name (see `archsim models`), or a "
    "user model: path/to/file.py:factory or module:factory.",
)
@click.option(
    "--width",
    default="1.0",
    show_default=True,
    help="Channel multiplier, or a comma list (1.0,1.2,1.4) for one row per width.",
)
@click.option("--hw", default="isaac", show_default=True, help="Hardware name or YAML path.")
@click.option(
    "--policy",
    cls=LazyHelpOption,
    help_fn=lambda: policy_help() + " Default: cpu-1x1 for a zoo net, all-rram for your own.",
)
@click.option(
    "--override",
    "overrides",
    multiple=True,
    metavar="NAME=TARGET",
    help="Place layers matching NAME (glob) on rram or cpu; repeatable.",
)
@click.option(
    "--option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Net option, e.g. shortcut=1x1; repeatable.",
)
@click.option("--dataset", help="Take input shape and classes from a dataset (cifar10, ...).")
@click.option("--input-shape", help="Input shape without batch, e.g. 3,32,32.")
@click.option("--num-classes", type=int, help="Classifier outputs (default: dataset's or 10).")
@click.option(
    "--budget-chips",
    metavar="N|node",
    help="Chips provisioned for every width (default: the fewest that hold the "
    "largest width with one copy of each layer).",
)
@click.option(
    "--budget-tiles",
    type=click.IntRange(min=1),
    metavar="N",
    help="Provision N tiles (part of a chip, with its share of the chip links) "
    "instead of whole chips.",
)
@click.option(
    "--pack-imas",
    is_flag=True,
    help="Start each layer on the next free crossbar instead of a fresh IMA, so "
    "small layers share IMAs and queue for their ADCs.",
)
@click.option(
    "--allow-unsupported",
    is_flag=True,
    help="Map a network with ops that have no mapping anyway, leaving them out of "
    "the costs and totals (listed in the notes); without it they are an error.",
)
@click.option(
    "--no-replicate",
    is_flag=True,
    help="Keep one copy of each layer (unbalanced pipeline) instead of replicating "
    "layers inside the budget until a stage replication cannot speed up binds.",
)
@click.option(
    "--estimator",
    type=LazyChoice(estimator_names),
    default="des",
    show_default=True,
    cls=LazyHelpOption,
    help_fn=estimator_help,
)
@click.option(
    "--images",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="N for the derived time for N images, and the paper estimator's totals "
    "(Table II uses 10000).",
)
@click.option(
    "--breakdown",
    is_flag=True,
    help="Print the energy per image by component instead: one row per layer (dynamic), "
    "the layers' sum, the static row (static power x interval) and the total, per width.",
)
@format_option
def map_command(
    no_replicate: bool, estimator: str, images: int, breakdown: bool, fmt: str, **args: Any
) -> None:
    """Map a network onto crossbars: per-layer placement, crossbars, MACs, cost and totals.

    Every width is costed in one chip budget (--budget-chips / --budget-tiles; default: the
    fewest chips that hold the widest point with one copy of each layer), with layers
    replicated until the pipeline is balanced. Reported: throughput (images/s while images
    stream), single-image latency, energy per image split into dynamic, static (static power x
    the interval), CPU and links, provisioned area (the budget) and occupied area (tiles used
    and their share of the chip links). --images N only sets the derived time for N images.
    """
    from archsim.api.mapping import default_policy, map_widths
    from archsim.api.perf import paper_mismatch
    from archsim.cli.cost_rows import CostReport
    from archsim.cli.output import say_default
    from archsim.progress import status

    if breakdown and estimator == "paper":
        raise UserError("--breakdown needs --estimator des or analytic (the paper estimator "
                        "prices a whole image at one power)")  # fmt: skip
    args["policy"], reason = default_policy(args["model"], args["policy"], args["dataset"])
    request = parse_request(MapArgs(replicate=not no_replicate, **args))
    with status() as step:  # a spinner on a terminal while the widths are mapped and costed
        widths = map_widths(request, estimator, images, step)
    mappings = [w.point.mapping for w in widths]
    mismatch = paper_mismatch(request.model, request.net_options, mappings[0].input_shape,
                              request.num_classes)  # fmt: skip
    costs = CostReport(widths, mismatch)
    if breakdown:
        from archsim.cli.breakdown import emit_breakdown

        emit_breakdown(costs.results, fmt)
        return
    render(mappings, fmt, costs)
    if fmt == "table":  # csv and json stay machine-readable
        say_default(args["policy"], reason)
