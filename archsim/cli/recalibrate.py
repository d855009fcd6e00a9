"""`archsim recalibrate`: BatchNorm sets for a trained checkpoint, per fault model and rate."""

from typing import TYPE_CHECKING

import click

from archsim.cli.output import emit, format_option
from archsim.cli.runtime import running, threads_option
from archsim.cli.train import parse_floats

if TYPE_CHECKING:
    from archsim.api.training import RecalibrationResult

COLUMNS = ("bn_set", "fault_model", "rate", "batches", "images")


@click.command("recalibrate")
@click.option(
    "--checkpoint",
    required=True,
    type=click.Path(dir_okay=False),
    help="Trained checkpoint to recalibrate.",
)
@click.option("--rates", required=True, help="Fault rates to recalibrate for, e.g. 0,0.1,0.2.")
@click.option(
    "--fault-model",
    help="Fault preset the sets are for (default: the checkpoint's training fault model).",
)
@click.option(
    "--batches",
    type=int,
    help="Training batches per rate (default: enough for "
    "16,384 images, or the whole training set if smaller; docs/bn-recalibration.md).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False),
    help="Write a new checkpoint here (default: update CHECKPOINT in place).",
)
@click.option("--dataset", help="Training data (default: the checkpoint's).")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Where datasets live.")
@click.option("--batch-size", type=int, help="Default: the checkpoint's training batch size.")
@click.option(
    "--seed",
    type=int,
    help="Seed of the recalibration faults (default: the "
    "checkpoint's training seed, which gives the sets training would have made).",
)
@click.option("--device", default="cpu", show_default=True, help="cpu or cuda.")
@click.option(
    "--progress/--no-progress",
    default=True,
    show_default=True,
    help="A progress bar on stderr; a log line per rate either way.",
)
@threads_option
@format_option
# click passes each option as a parameter: the body puts them into a RecalibrateSpec at once
def recalibrate(
    checkpoint: str,
    rates: str,
    fault_model: str | None,
    batches: int | None,
    output: str | None,
    dataset: str | None,
    data_dir: str | None,
    batch_size: int | None,
    seed: int | None,
    device: str,
    progress: bool,
    threads: int | None,
    fmt: str,
) -> None:
    """Recalibrate a trained checkpoint's BatchNorm statistics for each fault rate
    ("UpdateVar": weights frozen, faults drawn fresh per batch) and write the sets into it.

    Training data, its subset and padding, hardware, placement, batch size and seed default
    to the checkpoint's training run; sets of the same fault model and rate are replaced,
    others kept. `archsim evaluate` uses a set only for its fault model and rate."""
    from archsim.api.training import RecalibrateSpec
    from archsim.api.training import recalibrate as run

    spec = RecalibrateSpec(
        checkpoint=checkpoint,
        rates=parse_floats("--rates", rates),
        fault_model=fault_model,
        batches=batches,
        output=output,
        dataset=dataset,
        data_dir=data_dir,
        batch_size=batch_size,
        seed=seed,
        device=device,
        progress=progress,
    )
    with running(threads):
        result = run(spec)
    emit(_rows(result), fmt, COLUMNS, _run_lines(result))


def _rows(result: "RecalibrationResult") -> list[dict[str, object]]:
    """One row per BatchNorm set made."""
    return [
        {
            "bn_set": key,
            "fault_model": result.fault_model,
            "rate": float(key.rsplit(":")[1]),
            "batches": result.batches,
            "images": result.images,
        }
        for key in result.keys
    ]


def _run_lines(result: "RecalibrationResult") -> dict[str, object]:
    """The lines under the table: which checkpoint, data, chip and sets."""
    return {
        "checkpoint": str(result.checkpoint),
        "dataset": result.dataset,
        "hardware": result.hardware,
        "policy": result.policy,
        "seed": result.seed,
        "bn_sets": ",".join(result.all_keys),
    }
