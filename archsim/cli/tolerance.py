"""`archsim vulnerability`, `archsim tolerance`, `archsim ft-report`: fault-tolerance studies
with their hardware costs, stored as JSON and drawn as report pages."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource

from archsim.cli.output import emit, format_option
from archsim.cli.presets_help import LazyHelpOption, preset_list
from archsim.cli.runtime import crossbar_mode, crossbar_options, running, threads_option
from archsim.errors import UserError

if TYPE_CHECKING:
    from archsim.api.studies import Design, StoredStudy

F = TypeVar("F", bound=Callable[..., Any])
VUL_COLUMNS = (
    "rank",
    "group",
    "weights",
    "loss",
    "ci_low",
    "ci_high",
    "loss_per_kweight",
    "cpu_energy_delta_j",
    "cpu_throughput_delta_ips",
    "loss_per_uj",
)
TOL_COLUMNS = (
    "run",
    "technique",
    "bn_set",
    "mean",
    "ci_low",
    "ci_high",
    "gain",
    "gain_half_width",
    "throughput_ips",
    "energy_per_image_j",
    "occupied_area_mm2",
    "crossbars",
    "adc_conversions_per_image",
    "remap_seconds_per_chip",
    "eval_seconds_per_chip",
    "why",
)


# The options every study shares, in the order `--help` lists them: which chips,
_CHIP_OPTIONS = (
    click.option(
        "--fault-model",
        default="dropconnect",
        show_default=True,
        cls=LazyHelpOption,
        help_fn=lambda: f"Weight-granularity preset: {preset_list('weight')}.",
    ),
    click.option(
        "--fault-rate",
        "rate",
        type=float,
        default=0.1,
        show_default=True,
        help="Fault rate in [0, 1].",
    ),
    click.option(
        "--chips",
        type=int,
        default=20,
        show_default=True,
        help="Chips (0 .. N-1 of --seed), the same for every row.",
    ),
    click.option("--seed", type=int, default=0, show_default=True, help="Seed of the chips."),
)
# on which data and hardware,
_DATA_OPTIONS = (
    click.option("--dataset", help="Dataset (default: the checkpoint's)."),
    click.option("--data-dir", type=click.Path(file_okay=False), help="Where datasets live."),
    click.option("--limit", type=int, help="Score on N test images (the first N)."),
    click.option("--subset-seed", type=int, help="With --limit: N images drawn by this seed."),
    click.option("--hw", "hardware", help="Hardware config (default: the checkpoint's)."),
)
# and how the run goes and where it is written.
_RUN_OPTIONS = (
    click.option(
        "--budget-chips",
        type=int,
        default=1,
        show_default=True,
        help="Chips each design point is balanced in for its costs.",
    ),
    click.option("--device", default="cpu", show_default=True, help="cpu or cuda."),
    click.option(
        "--bn-sets/--no-bn-sets",
        default=True,
        show_default=True,
        help="BatchNorm statistics as evaluate picks them: the checkpoint's set "
        "for the fault model and rate, one made on the fly where it lacks that one, "
        "and for a technique that moves faults (remap, spares, another placement) "
        "one made on the fly on chips with it (docs/bn-recalibration.md); "
        "--no-bn-sets: the training statistics for every row.",
    ),
    click.option(
        "--batch-size",
        type=int,
        default=256,
        show_default=True,
        help="Images per forward pass (memory only).",
    ),
    click.option("--out", type=click.Path(dir_okay=False), help="Store the study as JSON."),
    click.option("--pdf", type=click.Path(dir_okay=False), help="Draw its report pages."),
    click.option("--progress/--no-progress", default=True, show_default=True),
    threads_option,
    crossbar_options,
    format_option,
)


def study_options(command: F) -> F:
    """Options every study shares: fault model and rate, chips, images, hardware, output."""
    for option in reversed(_CHIP_OPTIONS + _DATA_OPTIONS + _RUN_OPTIONS):
        command = option(command)
    return command


def _data(opts: dict[str, Any]) -> Any:
    from archsim.api.studies import DataOptions

    if opts["chips"] < 2:
        raise UserError(f"--chips must be >= 2 (intervals need two chips), got {opts['chips']}")
    return DataOptions(
        opts["dataset"],
        opts["data_dir"],
        opts["limit"],
        opts["subset_seed"],
        opts["hardware"],
        opts["budget_chips"],
        opts["device"],
        opts["bn_sets"],
        crossbar=crossbar_mode(opts["exact"], opts["crossbar"]),
        variation=opts["variation"],
        read_noise=opts["read_noise"],
        drift=opts["drift"],
        time=opts["time"],
    )


def _fault(opts: dict[str, Any]) -> tuple[str, float]:
    """The fault model's name, checked to be of weight granularity, and the rate."""
    from archsim.api.faults import check_rate, get_fault_model, mechanism_of

    model = get_fault_model(opts["fault_model"])
    if mechanism_of(model).kind != "weight":
        raise UserError(
            f"fault model {model.name} draws {model.granularity} faults; the "
            "tolerance studies take weight-granularity models "
            f"({preset_list('weight')})"
        )
    return opts["fault_model"], check_rate(opts["rate"])


def _store(study: "StoredStudy", out: str | None, pdf: str | None) -> dict[str, Any]:
    """Write the study where asked; return its stored (JSON-ready) form."""
    from archsim.api.studies import to_json
    from archsim.atomic import atomic_write_text

    doc = to_json(study)
    if out:
        atomic_write_text(out, json.dumps(doc, indent=1, allow_nan=True))
    if pdf:
        from archsim.api.studies import study_report

        study_report([study], pdf)
    return doc


VUL_MAX_CHIPS = 50  # the most chips a default (adaptive) vulnerability run draws
VUL_HALF_WIDTH = 1.0  # points: the interval every layer's loss stops on by default
VUL_PILOT_CHIPS = 10


def _design(opts: dict[str, Any]) -> tuple[int, "Design | None", str]:
    """(chips, sampling design, the stopping line when it is the default) of a vulnerability
    run: --chips N alone is N chips on every image; otherwise adaptive, two-stage."""
    from archsim.api.studies import Design
    from archsim.cli.evaluate import parse_images_per_chip

    given = click.get_current_context().get_parameter_source("chips") != ParameterSource.DEFAULT
    adaptive, images = opts["adaptive"], parse_images_per_chip(opts["images_per_chip"])
    if adaptive is not None and adaptive <= 0:
        raise UserError(f"--adaptive must be > 0 points, got {adaptive}")
    if opts["min_chips"] < 2:
        raise UserError(f"--min-chips must be >= 2, got {opts['min_chips']}")
    chips, stopping = opts["chips"], ""
    if adaptive is None and not given:
        adaptive, images, chips = VUL_HALF_WIDTH, images or "auto", VUL_MAX_CHIPS
        stopping = (
            f"default: until every layer's 95% loss interval is within ±{adaptive:g} points "
            f"or {chips} chips, each chip on its own sample of test images sized by a "
            "pilot (--chips N: exactly N chips on every image)"
        )
    elif adaptive is not None and not given:
        chips = VUL_MAX_CHIPS
    if images == "auto" and adaptive is None:
        raise UserError("--images-per-chip auto needs --adaptive: the interval it sizes for")
    if adaptive is None and images is None:
        return chips, None, stopping
    design = Design(chips, images, adaptive, opts["min_chips"], pilot_chips=VUL_PILOT_CHIPS)
    return chips, design, stopping


@click.command("vulnerability")
@click.option(
    "--checkpoint", required=True, type=click.Path(dir_okay=False), help="Checkpoint to study."
)
@click.option(
    "--adaptive",
    type=float,
    help=f"Stop when every layer's 95% loss interval is within ± this (points). Default: "
    f"{VUL_HALF_WIDTH:g} with --images-per-chip auto and at most {VUL_MAX_CHIPS} chips, "
    "unless --chips is given (then exactly that many chips, each on every image).",
)
@click.option(
    "--min-chips", type=int, default=10, show_default=True, help="Adaptive: at least this many."
)
@click.option(
    "--images-per-chip",
    metavar="N|auto",
    help="Two-stage sampling: each chip scored on its own seeded N test images; auto: N "
    "from a pilot, the fewest chip-images for --adaptive.",
)
@study_options
def vulnerability(checkpoint: str, **opts: Any) -> None:
    """Per-layer vulnerability: the accuracy lost when only that layer is faulty, on the same
    chips and images for every layer (paired), with 95% intervals, ranked; each layer's
    loss per 1,000 weights and per microjoule its move to the CPU would cost. By default it
    draws chips until every layer's interval is narrow enough and says the chip-images it
    scored; --chips N draws exactly N chips, each on every test image."""
    from archsim.api.studies import STUDY_REPLICAS
    from archsim.api.studies import vulnerability as run

    data = _data(opts)
    model, rate = _fault(opts)
    chips, design, stopping = _design(opts)
    with running(opts["threads"]):
        study = run(checkpoint, model, rate, chips, seed=opts["seed"], data=data,
                    batch_size=opts["batch_size"], progress=opts["progress"],
                    design=design)  # fmt: skip
    doc = _store(study, opts["out"], opts["pdf"])
    extra: dict[str, Any] = {
        "clean_accuracy": study.clean_accuracy,
        "all_layers_loss": study.all_layers.loss,
        "bn_set": study.bn_set,
        "fault_model": study.setting.fault_model,
        "rate": study.setting.rate,
        "chips": study.setting.chips,
        "images": study.setting.images,
        "images_per_chip": study.images_per_chip,
        "chip_images": study.chip_images,
        "faulted": STUDY_REPLICAS,
    }
    widest = max((r.ci_high - r.ci_low) / 2 for r in study.rows)
    if design is not None and design.target is not None and widest > design.target:
        extra["notes"] = (
            f"target ±{design.target:g} not reached in {study.setting.chips} chips "
            f"(widest layer interval ±{widest:.2f})"
        )
    if stopping:
        extra["stopping"] = stopping
    emit(doc["rows"], opts["fmt"], VUL_COLUMNS, extra)


def _checkpoints(items: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for item in items:
        label, sep, path = item.partition("=")
        out.append((label, path) if sep and label else (Path(item).stem, item))
    return out


@click.command("tolerance")
@click.option(
    "--checkpoint",
    "checkpoints",
    multiple=True,
    required=True,
    metavar="[LABEL=]PATH",
    help="Checkpoint to study; repeatable (same net: the same chips).",
)
@click.option(
    "--technique",
    "techniques",
    default="none,remap,spare-1,remap+spare-1",
    show_default=True,
    help="Comma-separated [PLACEMENT:]none|remap|spare-K|"
    "remap+spare-K; the first is the reference gains are paired against.",
)
@click.option(
    "--placement",
    default="cpu-1x1",
    show_default=True,
    help="Placement of a technique named without one (a mapping policy).",
)
@click.option(
    "--vulnerability",
    "table",
    type=click.Path(dir_okay=False),
    help="A stored vulnerability study: adds the placement search's placements.",
)
@click.option(
    "--search-steps",
    type=int,
    default=0,
    show_default=True,
    help="With --vulnerability: evaluate search-1 .. search-N too.",
)
@click.option("--energy-budget", type=float, help="Placement search: joules per image.")
@click.option("--min-throughput", type=float, help="Placement search: images per second.")
@study_options
def tolerance(
    checkpoints: tuple[str, ...],
    techniques: str,
    placement: str,
    table: str | None,
    search_steps: int,
    energy_budget: float | None,
    min_throughput: float | None,
    **opts: Any,
) -> None:
    """Fault-tolerance techniques on the same chips and images, each with the throughput,
    energy, area, crossbars and ADC conversions its design point costs; gains are paired
    per chip against the first technique."""
    from archsim.api.studies import STUDY_REPLICAS, StudyPlan, VulnerabilityStudy, read_study
    from archsim.api.studies import tolerance as run

    data = _data(opts)
    model, rate = _fault(opts)
    if search_steps < 0:
        raise UserError(f"--search-steps must be >= 0, got {search_steps}")
    stored: VulnerabilityStudy | None = None
    if table:
        read = read_study(table)  # size and nesting bounded before anything is decoded
        if not isinstance(read, VulnerabilityStudy):
            raise UserError("the --vulnerability file is not a stored vulnerability study")
        stored = read
    names = tuple(t.strip() for t in techniques.split(",") if t.strip())
    if not names:
        raise UserError("--technique needs at least one technique")
    plan = StudyPlan(names, placement, search_steps, energy_budget, min_throughput)
    with running(opts["threads"]):
        study = run(_checkpoints(checkpoints), plan, model, rate, opts["chips"],
                    seed=opts["seed"], data=data, table=stored, batch_size=opts["batch_size"],
                    progress=opts["progress"])  # fmt: skip
    doc = _store(study, opts["out"], opts["pdf"])
    rows = [{"run": r["label"], **row} for r in doc["runs"] for row in r["rows"]]
    meta: dict[str, Any] = {
        "fault_model": study.setting.fault_model,
        "rate": study.setting.rate,
        "chips": study.setting.chips,
        "images": study.setting.images,
        "faulted": STUDY_REPLICAS,
    }
    emit(rows, opts["fmt"], TOL_COLUMNS, meta)


@click.command("ft-report")
@click.argument("studies", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="PDF to write.")
def ft_report(studies: tuple[str, ...], out: str) -> None:
    """Draw the report pages of stored vulnerability / tolerance studies into one PDF."""
    from archsim.api.studies import read_study, study_report

    click.echo(str(study_report([read_study(path) for path in studies], out)))
