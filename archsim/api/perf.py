"""The estimate arrow: `Mapping --estimate--> PerfResult`, by a registered estimator
(`des`, `analytic`, `paper`: `archsim.api.estimators`)."""

from archsim.perf.estimate import estimate
from archsim.perf.paper import TABLE_II_IMAGES, paper_reference
from archsim.perf.result import LayerCost, PerfResult

__all__ = [
    "TABLE_II_IMAGES",
    "LayerCost",
    "PerfResult",
    "estimate",
    "paper_reference",
]
