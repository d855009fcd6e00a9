"""`estimate_point()`: the one entry point for every estimator, looked up by name in the registry
(`archsim/perf/estimators.py`).

`des` (des.py) simulates the pipeline; `analytic` (analytic.py) evaluates the same schedule in
closed form; `paper` (paper.py) is the drop-connect paper's Table II throughput-bound
estimator, a calibration.
"""

from archsim.perf.estimators import get_estimator
from archsim.perf.plan import PlannedMapping
from archsim.perf.result import PerfResult


def estimate_point(point: PlannedMapping, estimator: str = "des", images: int = 1) -> PerfResult:
    """Latency, throughput, energy and area of a planned mapping by the named estimator
    (the plans it was given, never planned again)."""
    return get_estimator(estimator).load()(point, images)
