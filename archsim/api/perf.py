"""The simulate arrow: `Mapping --simulate--> PerfResult`, by a registered estimator."""

from archsim.mapping.records import Mapping
from archsim.perf.costs import PerfCosts
from archsim.perf.estimate import estimate
from archsim.perf.hw_costs import HardwareLike
from archsim.perf.paper import TABLE_II_IMAGES, paper_reference
from archsim.perf.result import LayerCost, PerfResult

__all__ = [
    "TABLE_II_IMAGES",
    "LayerCost",
    "PerfResult",
    "paper_reference",
    "simulate",
]


def simulate(
    mapping: Mapping,
    hw: HardwareLike,
    estimator: str = "des",
    images: int = 1,
    costs: PerfCosts | None = None,
) -> PerfResult:
    """Latency, throughput, energy and area of a mapped network by a registered estimator
    (`des`, `analytic`, `paper`: `archsim.api.estimators`); `costs` is `hw`'s cost table when
    already built (the one the balancer planned with, so its plans are reused)."""
    return estimate(mapping, hw, estimator, images, costs)
