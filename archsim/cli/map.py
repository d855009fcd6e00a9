"""`archsim map`: map a zoo net onto crossbars and print where each layer runs.

Three steps kept apart so later issues can extend one without touching the others:
`parse_request` turns options into a `MapRequest`, `run_request` maps each width, and
`map_render.render` prints per-layer rows (one width) or one summary row per width.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

from archsim.cli.map_render import render
from archsim.cli.output import format_option
from archsim.errors import UserError

if TYPE_CHECKING:
    from archsim.mapping.records import Mapping


@dataclass(frozen=True)
class MapRequest:
    model: str
    widths: tuple[float, ...]
    hardware: str
    policy: str
    overrides: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    input_shape: tuple[int, ...] | None = None  # None: the net's usual input
    num_classes: int = 10
    replicate: bool = True  # balance the pipeline inside the budget (--no-replicate: off)
    budget_chips: int | str | None = None  # a chip count, "node", or None: the default rule
    budget_tiles: int | None = None  # a budget of part of a chip instead
    pack_imas: bool = False  # layers share IMAs (start on the next free crossbar)
    allow_unsupported: bool = False  # map anyway, leaving ops without a mapping out


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
    raw = raw.strip()
    if re.fullmatch(r"\d+(\s*,\s*\d+)+", raw):
        return key.strip(), [int(v) for v in raw.split(",")]
    import yaml

    try:
        value = yaml.safe_load(raw) if raw else ""
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def dataset_shape(name: str) -> tuple[tuple[int, ...], int]:
    """Input shape and class count of a dataset, without loading it."""
    from archsim.data.registry import get_source

    source = get_source(name)
    return tuple(source.input_shape), source.num_classes


def parse_request(
    model: str,
    width: str,
    hw: str,
    policy: str,
    overrides: Sequence[str],
    options: Sequence[str],
    dataset: str | None,
    input_shape: str | None,
    num_classes: int | None,
    replicate: bool = True,
    budget_chips: str | None = None,
    budget_tiles: int | None = None,
    pack_imas: bool = False,
    allow_unsupported: bool = False,
) -> MapRequest:
    if dataset and input_shape:
        raise UserError("give either --dataset or --input-shape, not both")
    if budget_chips is not None and budget_tiles is not None:
        raise UserError("give either --budget-chips or --budget-tiles, not both")
    shape, classes = (None, 10)
    if dataset:
        shape, classes = dataset_shape(dataset)
    elif input_shape:
        shape = parse_input_shape(input_shape)
    if num_classes is not None:
        if num_classes < 1:
            raise UserError(f"--num-classes must be >= 1, got {num_classes}")
        classes = num_classes
    return MapRequest(
        model=model,
        widths=parse_widths(width),
        hardware=hw,
        policy=policy,
        overrides=tuple(overrides),
        options=dict(parse_option(o) for o in options),
        input_shape=shape,
        num_classes=classes,
        replicate=replicate,
        budget_chips=parse_budget(budget_chips),
        budget_tiles=budget_tiles,
        pack_imas=pack_imas,
        allow_unsupported=allow_unsupported,
    )


def run_request(request: MapRequest) -> tuple[list["Mapping"], Any, Any]:
    """Every width's mapping in one shared chip budget, the hardware description and its
    cost table (the one the balancer planned with, so the estimate reuses its plans).

    The budget is `--budget-chips`, else the fewest chips that hold the largest width
    unreplicated; each width is then balanced inside it (`archsim.perf.balance`).
    """
    from archsim.config.hardware import load_hardware
    from archsim.mapping.geometry import resolve_geometry
    from archsim.mapping.mapper import map_specs, trace_net, with_unused_note
    from archsim.mapping.policy import check_policy
    from archsim.nets import net_info
    from archsim.perf.balance import default_budget_chips, design_point
    from archsim.perf.hw_costs import costs_from_hardware

    check_policy(request.policy)  # fail before building any net
    hw = load_hardware(request.hardware)
    geometry, costs = resolve_geometry(hw), costs_from_hardware(hw)
    shape = request.input_shape or net_info(request.model).input_shape
    traced = [trace_net(request.model, w, shape, request.num_classes, request.options)
              for w in request.widths]  # fmt: skip
    options: list[dict[str, Any]] = [
        {"input_shape": shape, "policy": request.policy, "overrides": request.overrides,
         "model_name": request.model, "width": w, "pack_imas": request.pack_imas,
         "allow_unsupported": request.allow_unsupported}
        for w in request.widths
    ]  # fmt: skip
    requested = request.budget_chips
    if requested == "node":
        budget = geometry.chips
    elif isinstance(requested, int):
        budget = requested
    else:  # the fewest chips that hold the widest point with one copy of each layer
        budget = default_budget_chips(
            [map_specs(specs, geometry, **o) for (_, specs), o in zip(traced, options, strict=True)]
        )
    if request.budget_tiles is not None:
        for o in options:
            o["budget_tiles"] = request.budget_tiles
    mappings = [
        with_unused_note(design_point(specs, geometry, costs, budget, request.replicate, **o),
                         model, specs)
        for (model, specs), o in zip(traced, options, strict=True)
    ]  # fmt: skip
    return mappings, hw, costs


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
    default="cpu-1x1",
    show_default=True,
    help="Placement policy: cpu-1x1, cpu-1x1-ends, all-rram or attention-digital.",
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
    type=click.Choice(("des", "analytic", "paper")),
    default="des",
    show_default=True,
    help="Cost model: SimPy pipeline, closed form, or Table II's.",
)
@click.option(
    "--images",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="N for the derived time for N images, and the paper estimator's totals "
    "(Table II uses 10000).",
)
@format_option
def map_command(
    model: str,
    width: str,
    hw: str,
    policy: str,
    overrides: tuple[str, ...],
    options: tuple[str, ...],
    dataset: str | None,
    input_shape: str | None,
    num_classes: int | None,
    budget_chips: str | None,
    budget_tiles: int | None,
    pack_imas: bool,
    allow_unsupported: bool,
    no_replicate: bool,
    estimator: str,
    images: int,
    fmt: str,
) -> None:
    """Map a network onto crossbars: per-layer placement, crossbars, MACs, cost and totals.

    Every width is costed in one chip budget (--budget-chips / --budget-tiles; default: the
    fewest chips that hold the widest point with one copy of each layer), with layers
    replicated until the pipeline is balanced. Reported: throughput (images/s while images
    stream), single-image latency, energy per image split into dynamic, static (static power x
    the interval), CPU and links, provisioned area (the budget) and occupied area (tiles used
    and their share of the chip links). --images N only sets the derived time for N images.
    """
    from archsim.cli.cost_rows import estimate_widths, paper_mismatch

    request = parse_request(
        model, width, hw, policy, overrides, options, dataset, input_shape, num_classes,
        not no_replicate, budget_chips, budget_tiles, pack_imas, allow_unsupported,
    )  # fmt: skip
    mappings, hw_config, costs = run_request(request)
    mismatch = paper_mismatch(model, request.options, mappings[0].input_shape, request.num_classes)
    render(mappings, fmt, estimate_widths(mappings, hw_config, costs, estimator, images, mismatch))
