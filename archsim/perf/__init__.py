"""Performance model: latency, throughput, energy and area of a mapped network.

`simulate` (SimPy pipeline, des.py), `analytic_estimate` (closed form, analytic.py) and
`paper_estimate` (Table II's throughput-bound estimator, paper.py), all behind
`estimate_point`, which looks them up by name in `ESTIMATORS` (estimators.py). Each reads a
`PlannedMapping`: a mapping with the plans built for it once (`plan_mapping`, or the
balancer, balance.py), handed on as an argument.

Each name is imported from its module on first use, so importing a light module of this
package (the estimator registry the CLI builds its choices from) does not load SimPy and the
hardware cost model.
"""

from typing import TYPE_CHECKING

from archsim.lazy import lazy_exports

if TYPE_CHECKING:
    from archsim.perf.analytic import analytic_estimate as analytic_estimate
    from archsim.perf.costs import PerfCosts as PerfCosts
    from archsim.perf.des import simulate as simulate
    from archsim.perf.estimators import ESTIMATORS as ESTIMATORS
    from archsim.perf.estimators import estimate_point as estimate_point
    from archsim.perf.hw_costs import costs_from_hardware as costs_from_hardware
    from archsim.perf.paper import TABLE_II as TABLE_II
    from archsim.perf.paper import paper_estimate as paper_estimate
    from archsim.perf.plan import PlannedMapping as PlannedMapping
    from archsim.perf.plan import plan_mapping as plan_mapping
    from archsim.perf.result import LayerCost as LayerCost
    from archsim.perf.result import PerfResult as PerfResult

# public name -> the module that defines it
_HOMES = {
    "analytic_estimate": "analytic", "PerfCosts": "costs", "simulate": "des",
    "estimate_point": "estimators", "ESTIMATORS": "estimators",
    "costs_from_hardware": "hw_costs", "TABLE_II": "paper", "paper_estimate": "paper",
    "PlannedMapping": "plan", "plan_mapping": "plan", "LayerCost": "result",
    "PerfResult": "result",
}  # fmt: skip

__all__ = sorted(_HOMES)


__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
