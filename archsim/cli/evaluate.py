"""`archsim evaluate`: Monte-Carlo accuracy of a trained model over simulated faulty chips."""

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

import click
from click.core import ParameterSource

from archsim.cli.output import emit, format_option
from archsim.cli.presets_help import LazyHelpOption, preset_list
from archsim.cli.runtime import crossbar_mode, crossbar_options, running, threads_option
from archsim.errors import UserError

if TYPE_CHECKING:
    from archsim.api.faults import AccuracyResult, EvaluateSpec

COLUMNS = (
    "rate",
    "bn_set",
    "mean",
    "std",
    "ci_low",
    "ci_high",
    "p5",
    "p50",
    "p95",
    "yield",
    "chips",
    "faulty_fraction",
    "float_acc_train_bn",
    "quant_acc_train_bn",
    "images_per_chip",
    "chip_images",
)


DEFAULT_HALF_WIDTH = 1.0  # points: the interval a run stops on when no chip count is given


def parse_images_per_chip(text: str | None) -> int | Literal["auto"] | None:
    """ "auto" | a positive count | None (every test image)."""
    if text is None or text == "auto":
        return text  # type: ignore[return-value]
    try:
        value = int(text)
    except ValueError:
        raise UserError(f"--images-per-chip must be a count or 'auto', got {text!r}") from None
    if value < 2:
        raise UserError(f"--images-per-chip must be >= 2, got {value}")
    return value


def parse_rates(text: str) -> tuple[float, ...]:
    """ "0.05,0.1" -> (0.05, 0.1); each rate must lie in [0, 1]."""
    from archsim.api.faults import check_rate

    parts = [p.strip() for p in text.split(",")]
    if not any(parts):
        raise UserError("--fault-rate needs at least one rate, e.g. 0.05,0.1,0.2")
    if not all(parts):
        raise UserError(f"--fault-rate {text!r} has an empty rate between commas")
    return tuple(check_rate(p) for p in parts)


@click.command("evaluate")
@click.option("--checkpoint", type=click.Path(dir_okay=False), help="Checkpoint to evaluate.")
@click.option(
    "--model",
    help="Zoo net or user model (file.py:factory); without --checkpoint, "
    "use its default checkpoint.",
)
@click.option(
    "--width",
    type=float,
    help="Width multiplier: with --model, which default "
    "checkpoint (1.0 if not given); with --checkpoint, it must be the checkpoint's.",
)
@click.option(
    "--fault-rate",
    "rates",
    default="0.05,0.1,0.2",
    show_default=True,
    help="Comma-separated fault rates in [0, 1].",
)
@click.option(
    "--chips",
    type=int,
    default=100,
    show_default=True,
    help="Chips per rate: a fixed count when given alone; the most an adaptive run draws.",
)
@click.option(
    "--fault-model",
    cls=LazyHelpOption,
    help_fn=lambda: f"Preset: {preset_list()} (default: the checkpoint's, else dropconnect).",
)
@click.option("--dataset", help="Dataset (default: the checkpoint's, else digits).")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Where datasets live.")
@click.option("--hw", "hardware", help="Hardware config (default: the checkpoint's, else isaac).")
@click.option(
    "--policy",
    help="Layer placement policy (default: the checkpoint's policy and overrides, else cpu-1x1).",
)
@click.option(
    "--override",
    "overrides",
    multiple=True,
    metavar="NAME=rram|cpu",
    help="Per-layer placement override (glob) over the policy's; repeatable.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the chips.")
@click.option(
    "--adaptive",
    type=float,
    help="Stop when the 95% CI half-width <= this (points). Default: "
    f"{DEFAULT_HALF_WIDTH:g} with --images-per-chip auto, unless --chips is given "
    "(then exactly that many chips, each on every image).",
)
@click.option(
    "--min-chips",
    type=int,
    default=10,
    show_default=True,
    help="Adaptive mode: evaluate at least this many chips.",
)
@click.option(
    "--stop-on",
    type=click.Choice(["mean", "yield"]),
    default="mean",
    show_default=True,
    help="Adaptive mode: the figure whose 95% interval stops it.",
)
@click.option(
    "--images-per-chip",
    metavar="N|auto",
    help="Two-stage sampling: score each chip on its own seeded N test images "
    "(default: every image, exact per-chip accuracies); auto: N from a pilot, to "
    "reach --adaptive at the fewest chip-images.",
)
@click.option(
    "--pilot-chips",
    type=int,
    default=20,
    show_default=True,
    help="--images-per-chip auto: chips of the pilot.",
)
@click.option(
    "--pilot-images",
    type=int,
    default=500,
    show_default=True,
    help="--images-per-chip auto: images per pilot chip.",
)
@click.option(
    "--chip-cost",
    type=float,
    default=20.0,
    show_default=True,
    help="--images-per-chip auto: what drawing and swapping in one chip costs, in "
    "image evaluations.",
)
@click.option(
    "--chips-per-pass",
    type=int,
    help="Score this many chips at once (vmap over their stacked weights) when every "
    "chip sees every image; same results, faster on a GPU (default: 1 on a CPU, 8 on "
    "a GPU).",
)
@click.option(
    "--fault-map",
    type=click.Path(dir_okay=False),
    help="Evaluate this one measured chip (a fault-map .safetensors file, format in "
    "archsim/faults/faultmap.py, or a lab's .npz / .csv defect map, "
    "docs/defect-maps.md) instead of drawing chips.",
)
@click.option(
    "--threshold",
    type=float,
    help="Yield threshold accuracy (%); default: quantized fault-free minus 1.",
)
@click.option("--per-channel", is_flag=True, help="Quantize per output channel.")
@crossbar_options
@click.option(
    "--bn-sets/--no-bn-sets",
    default=True,
    show_default=True,
    help="Use the checkpoint's BatchNorm sets recalibrated for the fault model and "
    "rate, one made on the fly where it lacks that one (docs/bn-recalibration.md); "
    "--no-bn-sets: the training statistics.",
)
@click.option(
    "--batch-size",
    type=int,
    default=256,
    show_default=True,
    help="Images per forward pass (memory only; results do not depend on it).",
)
@click.option("--limit", type=int, help="Use only N test images (the first N; see --subset-seed).")
@click.option(
    "--subset-seed",
    type=int,
    help="With --limit: N test images drawn at random by this seed instead of the first N.",
)
@click.option(
    "--skip",
    type=int,
    default=0,
    show_default=True,
    help="Leave out the first N test images (before --limit): test images disjoint from "
    "the N a `train --val-limit N` run validated on.",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    help="Also draw the evaluation (each chip, the mean and its 95% interval per rate) to "
    "this .png, .pdf or .svg file.",
)
@click.option("--device", default="cpu", show_default=True, help="cpu or cuda.")
@click.option("--progress/--no-progress", default=True, show_default=True)
@threads_option
@format_option
# click passes each option as a parameter (41 of its lines): the body builds the run's
# records from them at once, and the checks and the stopping rule read those records.
def evaluate(
    checkpoint: str | None,
    model: str | None,
    width: float | None,
    rates: str,
    chips: int,
    fault_model: str | None,
    dataset: str | None,
    data_dir: str | None,
    hardware: str | None,
    policy: str | None,
    overrides: tuple[str, ...],
    seed: int,
    adaptive: float | None,
    min_chips: int,
    stop_on: Literal["mean", "yield"],
    images_per_chip: str | None,
    pilot_chips: int,
    pilot_images: int,
    chip_cost: float,
    chips_per_pass: int | None,
    fault_map: str | None,
    threshold: float | None,
    per_channel: bool,
    exact: bool,
    crossbar: bool,
    variation: str | None,
    read_noise: str | None,
    drift: str | None,
    time: float | None,
    bn_sets: bool,
    batch_size: int,
    limit: int | None,
    subset_seed: int | None,
    skip: int,
    plot: str | None,
    device: str,
    progress: bool,
    threads: int | None,
    fmt: str,
) -> None:
    """Monte-Carlo accuracy over simulated faulty chips, one row per fault rate.

    Dataset, padding, hardware, placement and fault model default to what the checkpoint
    records; another value given here is used and said in `notes`. Per row, `bn_set` names
    the BatchNorm statistics the chips ran with (a set recalibrated for that fault model and
    rate, or `training`); `float_acc_train_bn` and `quant_acc_train_bn` are fault-free
    accuracies (float and quantized weights) with the training statistics."""
    from archsim.api.faults import EvaluateSpec, MonteCarloSpec, check_chips_per_pass
    from archsim.api.faults import evaluate as run

    montecarlo = MonteCarloSpec(
        chips=chips, seed=seed, adaptive=adaptive, min_chips=min_chips, threshold=threshold,
        batch_size=batch_size, progress=progress, stop_on=stop_on, pilot_chips=pilot_chips,
        pilot_images=pilot_images, chip_cost=chip_cost,
        images_per_chip=parse_images_per_chip(images_per_chip),
        chips_per_pass=None if chips_per_pass is None else check_chips_per_pass(chips_per_pass),
    )  # fmt: skip
    spec = EvaluateSpec(
        checkpoint=checkpoint, model=model, width=width, rates=parse_rates(rates),
        fault_model=fault_model, dataset=dataset, data_dir=data_dir, hardware=hardware,
        policy=policy, overrides=overrides, bn_sets=bn_sets, fault_map=fault_map,
        per_channel=per_channel, crossbar=crossbar_mode(exact, crossbar), variation=variation,
        read_noise=read_noise, drift=drift, time=time, device=device, limit=limit,
        subset_seed=subset_seed, skip=skip, montecarlo=montecarlo,
    )  # fmt: skip
    _check_numbers(spec)
    _check_combinations(spec, plot)
    spec, stopping = _default_stop(spec)
    with running(threads):
        results = run(spec)
    emit([r.row() for r in results], fmt, COLUMNS, _run_lines(results, stopping, fmt))
    if plot:
        from archsim.api.faults import plot_evaluation

        plot_evaluation(results, plot)


def _default(option: str) -> bool:
    """Whether the running command's `option` kept its default."""
    return click.get_current_context().get_parameter_source(option) == ParameterSource.DEFAULT


def _check_numbers(spec: "EvaluateSpec") -> None:
    """One error line for a number outside what its option takes (the options listed)."""
    mc = spec.montecarlo
    for name, value, low in (
        ("--chips", mc.chips, 1),
        ("--min-chips", mc.min_chips, 1),
        ("--batch-size", mc.batch_size, 1),
        ("--seed", mc.seed, 0),
        ("--skip", spec.skip, 0),
        ("--pilot-chips", mc.pilot_chips, 2),
        ("--pilot-images", mc.pilot_images, 2),
    ):
        if value < low:
            raise UserError(f"{name} must be >= {low}, got {value}")
    if mc.adaptive is not None and mc.adaptive <= 0:
        raise UserError(f"--adaptive must be > 0 points, got {mc.adaptive}")
    if mc.chip_cost < 0:
        raise UserError(f"--chip-cost must be >= 0, got {mc.chip_cost}")
    if spec.width is not None and not 0 < spec.width < math.inf:
        raise UserError(f"--width must be a finite number > 0, got {spec.width}")
    if mc.threshold is not None and not 0 <= mc.threshold <= 100:
        raise UserError(f"--threshold is an accuracy in [0, 100] %, got {mc.threshold}")


def _check_combinations(spec: "EvaluateSpec", plot: str | None) -> None:
    """One error line for options that contradict each other, before any work."""
    mc = spec.montecarlo
    if not _default("min_chips") and mc.min_chips > mc.chips:
        raise UserError(f"--min-chips {mc.min_chips} is more than --chips {mc.chips}")
    if mc.stop_on == "yield" and mc.threshold is None:
        raise UserError("--stop-on yield needs --threshold: the accuracy a chip must reach")
    if spec.fault_map and not (_default("rates") and _default("chips")):
        raise UserError("--fault-map evaluates one measured chip: drop --fault-rate/--chips")
    if plot:
        from archsim.api.faults import check_plot

        check_plot(plot)  # before the work, not after it


def _default_stop(spec: "EvaluateSpec") -> "tuple[EvaluateSpec, str]":
    """The spec with the default adaptive stop where no chip count, interval or fault map
    was given, and the `stopping` line that says so ("" otherwise)."""
    mc = spec.montecarlo
    if mc.adaptive is not None or spec.fault_map or not _default("chips"):
        return spec, ""
    images = mc.images_per_chip
    if mc.stop_on == "mean":  # a yield needs exact per-chip accuracies
        images = images or "auto"
    mc = replace(mc, adaptive=DEFAULT_HALF_WIDTH, images_per_chip=images)
    return replace(spec, montecarlo=mc), _stopping_line(mc.stop_on, DEFAULT_HALF_WIDTH, mc.chips)


def _stopping_line(stop_on: str, adaptive: float, chips: int) -> str:
    """What the default adaptive stop does, as the output's `stopping` line says it."""
    return (
        f"default: until the 95% interval of the {stop_on} is within "
        f"±{adaptive:g} points or {chips} chips"
        + (", each chip on its own sample of test images sized by a pilot"
           if stop_on == "mean" else "")
        + " (--chips N: exactly N chips on every image)"
    )  # fmt: skip


def _run_lines(results: "list[AccuracyResult]", stopping: str, fmt: str) -> dict[str, object]:
    """The lines under the table: what was evaluated, on which chip, and the notes."""
    first = results[0]
    notes = sorted({note for r in results for note in r.notes})
    extra: dict[str, object] = {
        "model": first.info.model,
        "width": first.info.width,
        "dataset": first.info.dataset,
        "checkpoint": first.info.checkpoint,
        "fault_model": first.fault_model,
        "granularity": first.granularity,
        "hardware": first.info.hardware,
        "policy": first.info.policy,
        "weight_bits": first.info.weight_bits,
        "seed": first.seed,
        "threshold": first.threshold,
        "chip_images": sum(r.chip_images or 0 for r in results),  # images scored, all chips
        "input": first.info.input,
    }
    if stopping:
        extra["stopping"] = stopping
    if notes:
        extra["notes"] = "; ".join(notes)
    if fmt == "json":
        extra["per_chip"] = {str(r.rate): list(r.per_chip) for r in results}
    return extra
