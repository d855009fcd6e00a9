"""The cost estimators by name: the one list `estimate()` dispatches on, `archsim map
--estimator` offers and a sweep spec's `cost.estimator` is checked against.

Importing this module imports no estimator (nor torch, nor SimPy): an entry names its
function as "module:attribute", loaded when it runs, so the CLI can build its choices at
start-up. Adding an estimator is its module plus one entry here.
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archsim.errors import UserError

if TYPE_CHECKING:
    from archsim.mapping.records import Mapping
    from archsim.perf.result import PerfResult


@dataclass(frozen=True, kw_only=True)
class Estimator:
    name: str
    summary: str  # a few words for `--estimator` help ("SimPy pipeline")
    function: str  # "module:attribute" of f(mapping, hw_or_costs, images) -> PerfResult
    # True: takes a prepared cost table (`PerfCosts`) when there is one, else the hardware;
    # False: reads the hardware description itself (e.g. a calibration section)
    takes_costs: bool

    def load(self) -> "Callable[[Mapping, Any, int], PerfResult]":
        module, attribute = self.function.split(":")
        function: Callable[[Mapping, Any, int], PerfResult] = getattr(
            importlib.import_module(module), attribute
        )
        return function


ESTIMATORS: dict[str, Estimator] = {
    e.name: e
    for e in (
        Estimator(name="des", summary="SimPy pipeline", function="archsim.perf.des:simulate",
                  takes_costs=True),
        Estimator(name="analytic", summary="closed form",
                  function="archsim.perf.analytic:analytic_estimate", takes_costs=True),
        Estimator(name="paper", summary="Table II's",
                  function="archsim.perf.paper:paper_estimate", takes_costs=False),
    )
}  # fmt: skip
ESTIMATOR_NAMES = tuple(ESTIMATORS)


def get_estimator(name: str) -> Estimator:
    """The registered estimator `name` (a UserError naming the choices otherwise)."""
    if name not in ESTIMATORS:
        raise UserError(f"unknown estimator '{name}' (choose from {', '.join(ESTIMATORS)})")
    return ESTIMATORS[name]


def estimator_help() -> str:
    """The `--estimator` help line: "Cost model: SimPy pipeline, closed form, or Table II's."."""
    summaries = [e.summary for e in ESTIMATORS.values()]
    listed = summaries[0] if len(summaries) == 1 else (
        f"{', '.join(summaries[:-1])}, or {summaries[-1]}"
    )  # fmt: skip
    return f"Cost model: {listed}."
