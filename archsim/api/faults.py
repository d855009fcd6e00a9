"""The fault arrows: `Mapping + FaultModel + seed --draw--> ChipFaults`, and `checkpoint +
chips --evaluate--> accuracy`; the fault-model presets they take."""

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from torch import nn

from archsim.api.mapping import balanced_point
from archsim.errors import UserError
from archsim.faults import ChipFaults, FaultModel, fault_sites, get_fault_model
from archsim.faults.batched import check_chips_per_pass
from archsim.faults.chip import draw_chip
from archsim.faults.mechanisms import mechanism_of
from archsim.faults.models import check_rate
from archsim.faults.montecarlo import AccuracyResult, MonteCarloSpec
from archsim.faults.pipeline import EvaluateSpec
from archsim.faults.pipeline import evaluate as _evaluate
from archsim.faults.presets import PRESETS, takes_size
from archsim.mapping.records import Mapping

__all__ = [
    "AccuracyResult",
    "ChipFaults",
    "EvaluateSpec",
    "FaultModel",
    "MonteCarloSpec",
    "check_chips_per_pass",
    "check_rate",
    "draw",
    "evaluate",
    "fault_presets",
    "get_fault_model",
    "mechanism_of",
]


def draw(
    model: nn.Module,
    mapping: Mapping,
    fault_model: str,
    rate: float,
    seed: int,
    chip: int,
) -> ChipFaults:
    """The fault map of chip `chip` drawn from `(seed, chip)` over the mapping's RRAM cells."""
    faults = get_fault_model(fault_model)
    sites = fault_sites(model, mapping)
    return draw_chip(sites, faults, rate, seed, chip, mapping.crossbar_rows, mapping.crossbar_cols)


def evaluate(spec: EvaluateSpec) -> list[AccuracyResult]:
    """Monte-Carlo accuracy of a checkpoint over simulated faulty chips, one result per rate;
    a rate the checkpoint holds no BatchNorm set for gets one made on the fly
    (`faults.bnsets.choose_bn`). Every replica of the default budget's balanced design point
    (the chip `archsim map` costs) is faulted."""
    from archsim.train.recal_checkpoint import on_the_fly

    return _evaluate(spec, on_the_fly, balanced_point)


PLOT_FORMATS = (".png", ".pdf", ".svg")


def check_plot(out: str | Path) -> Path:
    """`out` as the path of an evaluation's figure; a suffix no format has is refused."""
    path = Path(out)
    if path.suffix not in PLOT_FORMATS:
        raise UserError(f"--plot must name a {', '.join(PLOT_FORMATS)} file, got {str(out)!r}")
    return path


def plot_evaluation(results: Sequence[AccuracyResult], out: str | Path) -> Path:
    """Draw an evaluation (each chip, the mean and its interval per rate) to `out` (.png,
    .pdf or .svg), atomically."""
    from archsim.report.pages_evaluation import render_evaluation

    return render_evaluation(results, check_plot(out))


def fault_presets(
    which: Literal["all", "trainable", "weight"] = "all",
) -> list[tuple[str, bool]]:
    """The fault-model presets in registry order, each with whether it takes a cluster size
    (NAME:SIZE): all of them, those training can sample per weight tensor ("trainable"), or
    those of weight granularity ("weight")."""
    out = []
    for name, model in PRESETS.items():
        mechanism = mechanism_of(model)
        keep = {"all": True, "trainable": mechanism.trainable,
                "weight": mechanism.kind == "weight"}[which]  # fmt: skip
        if keep:
            out.append((name, takes_size(model)))
    return out
