"""Performance model: latency, throughput, energy and area of a mapped network.

`simulate` (SimPy pipeline, des.py), `analytic_estimate` (closed form, analytic.py) and
`paper_estimate` (Table II's throughput-bound estimator, paper.py), all behind `estimate`.
"""

from archsim.perf.analytic import analytic_estimate
from archsim.perf.costs import PerfCosts
from archsim.perf.des import simulate
from archsim.perf.estimate import ESTIMATORS, estimate
from archsim.perf.hw_costs import costs_from_hardware
from archsim.perf.paper import TABLE_II, paper_estimate
from archsim.perf.result import LayerCost, PerfResult

__all__ = [
    "ESTIMATORS",
    "TABLE_II",
    "LayerCost",
    "PerfCosts",
    "PerfResult",
    "analytic_estimate",
    "costs_from_hardware",
    "estimate",
    "paper_estimate",
    "simulate",
]
