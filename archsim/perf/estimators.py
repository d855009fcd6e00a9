"""The cost estimators by name: the one list `estimate_point()` dispatches on, `archsim map
--estimator` offers and a sweep spec's `cost.estimator` is checked against.

`des` (des.py) simulates the pipeline; `analytic` (analytic.py) evaluates the same schedule in
closed form; `paper` (paper.py) is the drop-connect paper's Table II throughput-bound
estimator, a calibration.

Every estimator is a function `f(point, images) -> PerfResult` of a `PlannedMapping` (the
mapping, its cost table, the plans built for it once and, when there is one, the hardware
description), so the plans the balancer made are the ones estimated. Importing this module
imports no estimator (nor torch, nor SimPy): an entry names its function as
"module:attribute", loaded when it runs, so the CLI can build its choices at start-up.
Adding an estimator is its module plus one entry here.
"""

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from archsim.errors import UserError

if TYPE_CHECKING:
    from archsim.perf.plan import PlannedMapping
    from archsim.perf.result import PerfResult


class EstimatorFunction(Protocol):
    """What every registered estimator is: a planned mapping and an image count in, a
    `PerfResult` out."""

    def __call__(self, point: "PlannedMapping", images: int = 1, /) -> "PerfResult": ...


@dataclass(frozen=True, kw_only=True)
class Estimator:
    name: str
    summary: str  # a few words for `--estimator` help ("SimPy pipeline")
    function: str  # "module:attribute" of an `EstimatorFunction`

    def load(self) -> EstimatorFunction:
        module, attribute = self.function.split(":")
        function: EstimatorFunction = getattr(importlib.import_module(module), attribute)
        return function


ESTIMATORS: dict[str, Estimator] = {
    e.name: e
    for e in (
        Estimator(name="des", summary="SimPy pipeline", function="archsim.perf.des:simulate"),
        Estimator(name="analytic", summary="closed form",
                  function="archsim.perf.analytic:analytic_estimate"),
        Estimator(name="paper", summary="Table II's",
                  function="archsim.perf.paper:paper_estimate"),
    )
}  # fmt: skip
ESTIMATOR_NAMES = tuple(ESTIMATORS)


def get_estimator(name: str) -> Estimator:
    """The registered estimator `name` (a UserError naming the choices otherwise)."""
    if name not in ESTIMATORS:
        raise UserError(f"unknown estimator '{name}' (choose from {', '.join(ESTIMATORS)})")
    return ESTIMATORS[name]


def estimate_point(
    point: "PlannedMapping", estimator: str = "des", images: int = 1
) -> "PerfResult":
    """Latency, throughput, energy and area of a planned mapping by the named estimator
    (on the plans it was given, never planned again)."""
    return get_estimator(estimator).load()(point, images)


def estimator_help() -> str:
    """The `--estimator` help line: "Cost model: SimPy pipeline, closed form, or Table II's."."""
    summaries = [e.summary for e in ESTIMATORS.values()]
    listed = summaries[0] if len(summaries) == 1 else (
        f"{', '.join(summaries[:-1])}, or {summaries[-1]}"
    )  # fmt: skip
    return f"Cost model: {listed}."
