"""`estimate()`: the one entry point for every estimator, looked up by name in the registry
(`archsim/perf/estimators.py`).

`des` (des.py) simulates the pipeline; `analytic` (analytic.py) evaluates the same schedule in
closed form; `paper` (paper.py) is the drop-connect paper's Table II throughput-bound
estimator, a calibration.
"""

from archsim.errors import UserError
from archsim.mapping.records import Mapping
from archsim.perf.costs import PerfCosts
from archsim.perf.estimators import get_estimator
from archsim.perf.hw_costs import HardwareLike
from archsim.perf.result import PerfResult


def estimate(
    mapping: Mapping,
    hw: HardwareLike,
    estimator: str = "des",
    images: int = 1,
    costs: PerfCosts | None = None,
) -> PerfResult:
    """Latency, throughput, energy and area of `mapping` on `hw` by the named estimator.

    `costs`, when given, is `hw`'s cost table already built (the one the balancer planned
    `mapping` with, so the pipeline estimators reuse its plans); an estimator that reads the
    hardware description itself (the paper's calibration) is given `hw` instead."""
    entry = get_estimator(estimator)
    if entry.takes_costs:
        return entry.load()(mapping, costs or hw, images)
    if isinstance(hw, PerfCosts):
        raise UserError(
            f"the {entry.name} estimator needs a hardware description, not a cost table"
        )
    return entry.load()(mapping, hw, images)
