"""The training arrows: `TrainSpec --train--> checkpoint`, `checkpoint --recalibrate-->
checkpoint with BatchNorm sets`."""

from archsim.train.recal_checkpoint import (
    RecalibrateSpec,
    RecalibrationResult,
    recalibrate_checkpoint,
)
from archsim.train.records import TrainResult
from archsim.train.resolve import card_reason
from archsim.train.runner import train as _train
from archsim.train.spec import TrainSpec, make_spec

__all__ = [
    "RecalibrateSpec",
    "RecalibrationResult",
    "TrainResult",
    "TrainSpec",
    "card_reason",
    "make_spec",
    "recalibrate",
    "train",
]


def train(spec: TrainSpec, *, force: bool = False) -> TrainResult:
    """Train (standard, drop-connect, one-shot/progressive fault training, pruning); a
    checkpoint already trained from the same spec is reused unless `force`."""
    return _train(spec, force=force)


def recalibrate(spec: RecalibrateSpec) -> RecalibrationResult:
    """BatchNorm sets of a trained checkpoint per fault model and rate, written into it (or
    `spec.output`) atomically; defaults follow the checkpoint's training run."""
    return recalibrate_checkpoint(spec)
