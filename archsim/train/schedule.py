"""The epoch plan of a run and its learning rate, as pure functions of the position in it.

Nothing here keeps state, so a resumed run recomputes exactly the learning rate an
uninterrupted one used. Phases: an optional ADMM phase (`admm_epochs`, plain training plus the
ADMM penalty), then the method's stages (progressive: one per rate). Each phase or stage runs
the schedule from the start: cosine is annealed per step from `lr` to 0 over the phase (smooth
even for the few-epoch runs of this machine), step multiplies by `gamma` at each milestone
epoch (milestones scaled to the phase's length), constant keeps `lr`.
"""

import math
from dataclasses import dataclass
from typing import Literal

from archsim.train.spec import TrainSpec
from archsim.train.stochastic import stages_for

Phase = Literal["admm", "train"]


@dataclass(frozen=True)
class EpochPlan:
    """What one epoch of a run does."""

    epoch: int  # 0-based index over the whole run
    phase: Phase
    stage: int  # progressive stage (0 otherwise)
    rate: float  # drop-connect or training fault rate of this epoch (0: none)
    phase_epoch: int  # 0-based index within its phase / stage
    phase_epochs: int  # length of its phase / stage


def plan_epochs(spec: TrainSpec) -> tuple[EpochPlan, ...]:
    """Every epoch of the (resolved) spec, in order."""
    assert spec.epochs is not None
    plans: list[EpochPlan] = []
    if spec.prune == "admm":
        plans += [
            EpochPlan(i, "admm", 0, 0.0, i, spec.admm_epochs) for i in range(spec.admm_epochs)
        ]
    for stage in stages_for(spec.method, spec.rate, spec.rates, spec.epochs):
        first = len(plans)
        plans += [
            EpochPlan(first + i, "train", stage.index, stage.rate, i, stage.epochs)
            for i in range(stage.epochs)
        ]
    return tuple(plans)


def learning_rate(spec: TrainSpec, plan: EpochPlan, step: int, steps: int) -> float:
    """The learning rate of step `step` (of `steps`) in the epoch `plan`."""
    assert spec.lr is not None
    if spec.schedule == "cosine":
        t = (plan.phase_epoch + step / max(steps, 1)) / plan.phase_epochs
        return spec.lr * 0.5 * (1.0 + math.cos(math.pi * t))
    if spec.schedule == "step":
        assert spec.epochs is not None and spec.gamma is not None
        scale = plan.phase_epochs / spec.epochs
        passed = sum(1 for m in spec.milestones or () if plan.phase_epoch >= m * scale)
        return spec.lr * spec.gamma**passed
    return spec.lr
