"""`archsim train`: parse options into a TrainSpec and call `archsim.train.train`."""

import click
import yaml

from archsim.cli.output import emit, format_option
from archsim.cli.presets_help import LazyHelpOption, policy_help, preset_list
from archsim.cli.runtime import running, threads_option
from archsim.errors import UserError

COLUMNS = (
    "method",
    "rate",
    "epochs",
    "val_acc",
    "chip_acc",
    "val_rate",
    "bn_sets",
    "sparsity",
    "seconds",
    "cached",
)
SHOWN = ("checkpoint", "model", "card", "options", "dataset", "hardware", "policy", "input")


def parse_floats(option: str, text: str | None) -> tuple[float, ...]:
    """ "0.01,0.05" -> (0.01, 0.05); a non-number is a one-line error."""
    if text is None:
        return ()
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        return tuple(float(p) for p in parts)
    except ValueError:
        raise UserError(f"{option} must be comma-separated numbers, got {text!r}") from None


@click.command("train")
@click.option(
    "--model",
    default="resnet20",
    show_default=True,
    help="Zoo net to train, or a user model: path/to/file.py:factory or module:factory.",
)
@click.option("--width", type=float, default=1.0, show_default=True, help="Width multiplier.")
@click.option(
    "--option",
    "net_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Net option over the model card's (e.g. shortcut=1x1); repeatable.",
)
@click.option("--card", help="Model card whose recipe to use (default: <model>-<dataset>, ...).")
@click.option("--dataset", default="digits", show_default=True, help="Dataset name.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Where datasets live.")
@click.option(
    "--limit", type=int, help="Train on N training images only (the first N; see --subset-seed)."
)
@click.option(
    "--val-limit",
    type=int,
    help="Validate on N test images (default: a quarter of "
    "the training images, at least 500, at most the test set).",
)
@click.option(
    "--subset-seed",
    type=int,
    help="--limit / --val-limit draw random subsets by this seed instead of taking the first N.",
)
@click.option(
    "--pad-to",
    type=int,
    help="Zero-pad images to N x N pixels (e.g. 32 for 28x28 "
    "Fashion-MNIST into a CIFAR-style net); evaluation pads the same way.",
)
@click.option(
    "--method",
    type=click.Choice(["standard", "dropconnect", "oneshot", "progressive", "clipped"]),
    default="standard",
    show_default=True,
    help="Training method.",
)
@click.option(
    "--rate",
    type=float,
    default=0.0,
    show_default=True,
    help="Drop-connect rate, or the one-shot target fault rate, in [0, 1).",
)
@click.option("--rates", help="Progressive: ascending fault rates, e.g. 0.01,0.05,0.1.")
@click.option("--no-rescale", is_flag=True, help="Drop-connect: do not scale survivors 1/(1-p).")
@click.option(
    "--clip",
    type=float,
    help="Clipped: after every step, bound each RRAM layer's |w| by K times its "
    "99th-percentile |w| (K >= 1; default 1), so a stuck-on weight, which reads max|w|, "
    "reads at most that (docs/fault-tolerance.md).",
)
@click.option(
    "--fault-model",
    cls=LazyHelpOption,
    help_fn=lambda: (
        "Fault preset for validation "
        f"chips and recalibration: {preset_list()}; oneshot / progressive also train on "
        f"it, so one of {preset_list('trainable')} (default: sft for oneshot/progressive, "
        "else dropconnect)."
    ),
)
@click.option(
    "--from",
    "init_from",
    type=click.Path(dir_okay=False),
    help="Checkpoint to fine-tune (the stochastic-training paper starts pretrained).",
)
@click.option("--prune", type=click.Choice(["magnitude", "admm"]), help="Prune the RRAM layers.")
@click.option("--sparsity", type=float, default=0.0, help="Target sparsity for --prune.")
@click.option("--admm-epochs", type=int, default=0, help="ADMM phase length (--prune admm).")
@click.option("--admm-rho", type=float, default=1e-3, show_default=True, help="ADMM penalty.")
@click.option(
    "--recalibrate",
    help="Inference fault rates to recalibrate BatchNorm for, "
    "e.g. 0,0.1,0.2,0.3 (a trained checkpoint is only recalibrated, not retrained).",
)
@click.option(
    "--recalibrate-batches",
    type=int,
    help="Training batches per recalibration "
    "pass (default: enough for 16,384 images, see docs/bn-recalibration.md).",
)
@click.option("--epochs", type=int, help="Epochs (per stage for progressive); default: card.")
@click.option("--batch-size", type=int, help="Default: the model card's.")
@click.option(
    "--optimizer",
    type=click.Choice(["sgd", "adam"]),
    help="Optimizer; default: the model card's (else sgd).",
)
@click.option("--lr", type=float, help="Initial learning rate; default: the model card's.")
@click.option("--momentum", type=float, help="SGD momentum; default: the model card's.")
@click.option("--weight-decay", type=float, help="Default: the model card's.")
@click.option(
    "--schedule",
    type=click.Choice(["cosine", "step", "constant"]),
    help="Learning-rate schedule; default: the model card's.",
)
@click.option(
    "--policy",
    cls=LazyHelpOption,
    help_fn=lambda: policy_help() + " Default: cpu-1x1 for a zoo net, all-rram for your own.",
)
@click.option(
    "--override",
    "overrides",
    multiple=True,
    metavar="NAME=rram|cpu",
    help="Per-layer placement override (glob); repeatable.",
)
@click.option("--hw", "hardware", default="isaac", show_default=True, help="Hardware config.")
@click.option(
    "--variation",
    metavar="NAME[:K]",
    help="Hardware-aware training: the cells' programming variation (rram-wan2022, :K for K "
    "times its sigma) in every forward pass, drawn fresh per mini-batch on the --hw cells "
    "(docs/device-physics.md s.7).",
)
@click.option(
    "--read-noise",
    metavar="NAME[:K]",
    help="Hardware-aware training: the cells' read noise (rram-read-1pct, :K) in every "
    "forward pass, as --variation.",
)
@click.option(
    "--val-chips",
    type=int,
    default=3,
    show_default=True,
    help="Fixed chips validated on after every epoch.",
)
@click.option(
    "--val-rate",
    type=float,
    help="Fault rate of those chips (default: the training rate, else 0.1).",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the initial weights, data order, drop-connect masks, training "
    "faults and recalibration faults.",
)
@click.option("--device", default="cpu", show_default=True, help="cpu or cuda.")
@click.option(
    "--out",
    "out_dir",
    default="models",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for the checkpoint.",
)
@click.option("--output", type=click.Path(dir_okay=False), help="Exact checkpoint path.")
@click.option("--force", is_flag=True, help="Retrain even if the checkpoint is up to date.")
@click.option(
    "--progress/--no-progress",
    default=True,
    show_default=True,
    help="A progress bar on stderr; without it, one log line per epoch.",
)
@threads_option
@format_option
def train(
    net_options: tuple[str, ...],
    rates: str | None,
    no_rescale: bool,
    recalibrate: str | None,
    force: bool,
    threads: int | None,
    fmt: str,
    **fields: object,
) -> None:
    """Train a network (standard, drop-connect, one-shot or progressive stochastic fault
    training, max-weight clipped, optionally pruned), recalibrate BatchNorm per fault rate,
    and write the checkpoint to
    models/<net>-w<width>-<dataset>-<method>[-r<rate>|-k<clip>].safetensors.

    The output names the model card whose recipe was used, the net options, the hardware
    and placement (what `archsim evaluate` then defaults to)."""
    from archsim.api.mapping import default_policy
    from archsim.api.training import card_reason, make_spec
    from archsim.api.training import train as run
    from archsim.cli.output import say_default

    options: dict[str, object] = {}
    for item in net_options:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UserError(f"--option must look like KEY=VALUE, got {item!r}")
        options[key.strip()] = yaml.safe_load(value.strip())  # "4" -> 4, "1x1" stays text
    policy, reason = default_policy(
        str(fields["model"]),
        fields["policy"],  # type: ignore[arg-type]
        None if fields["dataset"] is None else str(fields["dataset"]),
    )
    fields["policy"] = policy
    spec = make_spec(
        **fields,
        options=options,
        rates=parse_floats("--rates", rates),
        rescale=not no_rescale,
        recalibrate=parse_floats("--recalibrate", recalibrate),
    )
    with running(threads):
        result = run(spec, force=force)
    row = result.row()
    shown = {key: row[key] for key in SHOWN}
    why = card_reason(spec)
    if fmt == "table" and why:  # csv and json keep the card's bare name
        shown["card"] = f"{row['card']} ({why})"
    emit([row], fmt, COLUMNS, shown)
    if fmt == "table":  # csv and json stay machine-readable
        say_default(policy, reason)
