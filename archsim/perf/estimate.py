"""`estimate()`: the one entry point for every estimator (DES, closed form, paper).

`des` (des.py) simulates the pipeline; `analytic` (analytic.py) evaluates the same schedule in
closed form; `paper` (paper.py) is the drop-connect paper's Table II throughput-bound
estimator, a calibration.
"""

from archsim.errors import UserError
from archsim.mapping.records import Mapping
from archsim.perf.analytic import analytic_estimate
from archsim.perf.costs import PerfCosts
from archsim.perf.des import simulate
from archsim.perf.hw_costs import HardwareLike
from archsim.perf.paper import paper_estimate
from archsim.perf.result import PerfResult

ESTIMATORS = ("des", "analytic", "paper")


def estimate(
    mapping: Mapping,
    hw: HardwareLike,
    estimator: str = "des",
    images: int = 1,
    costs: PerfCosts | None = None,
) -> PerfResult:
    """Latency, throughput, energy and area of `mapping` on `hw` by the named estimator.

    `costs`, when given, is `hw`'s cost table already built (the one the balancer planned
    `mapping` with, so the pipeline estimators reuse its plans); the paper estimator reads
    `hw`'s calibration instead."""
    if estimator == "des":
        return simulate(mapping, costs or hw, images)
    if estimator == "analytic":
        return analytic_estimate(mapping, costs or hw, images)
    if estimator == "paper":
        if isinstance(hw, PerfCosts):
            raise UserError("the paper estimator needs a hardware description, not a cost table")
        return paper_estimate(mapping, hw, images)
    raise UserError(f"unknown estimator '{estimator}' (choose from {', '.join(ESTIMATORS)})")
