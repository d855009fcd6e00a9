"""The estimate arrow: `Mapping --plan--> PlannedMapping --estimate--> PerfResult`, by a
registered estimator (`des`, `analytic`, `paper`: `archsim.api.estimators`), and Table II of
the drop-connect paper beside an estimate."""

from collections.abc import Mapping as MappingABC
from collections.abc import Sequence
from typing import Any

from archsim.mapping.records import Mapping
from archsim.perf.estimate import estimate_point
from archsim.perf.hw_costs import HardwareLike
from archsim.perf.paper import (
    TABLE_II_IMAGES,
    Table2Comparison,
    Table2Figures,
    paper_reference,
    table2_comparison,
)
from archsim.perf.plan import PlannedMapping, plan_mapping
from archsim.perf.result import LayerCost, PerfResult

__all__ = [
    "TABLE_II_IMAGES",
    "LayerCost",
    "PerfResult",
    "PlannedMapping",
    "Table2Comparison",
    "estimate",
    "estimate_point",
    "paper_mismatch",
    "paper_reference",
    "plan_mapping",
    "table2",
]

PAPER_INPUT_SHAPE = (3, 32, 32)  # Table II's CIFAR-10 inputs (10 classes)


def estimate(
    mapping: Mapping, hw: HardwareLike, estimator: str = "des", images: int = 1
) -> PerfResult:
    """Latency, throughput, energy and area of `mapping` on `hw` (a HardwareConfig, a
    hardware name or a cost table) by the named estimator: plan, then estimate. A design
    point from `design_points` is planned already: `estimate_point` takes it as it is."""
    return estimate_point(plan_mapping(mapping, hw), estimator, images)


def paper_mismatch(
    model: str, options: MappingABC[str, Any], input_shape: Sequence[int], num_classes: int
) -> str | None:
    """Why our network is not the one Table II priced (None when it is)."""
    if tuple(input_shape) != PAPER_INPUT_SHAPE or num_classes != 10:
        return "Table II is for CIFAR-10 (3x32x32 inputs, 10 classes)"
    if model == "resnet20" and str(options.get("shortcut", "A")) != "1x1":
        return "Table II's ResNet-20 has 1x1 projection shortcuts (--option shortcut=1x1)"
    return None


def table2(results: Sequence[PerfResult]) -> list[Table2Comparison]:
    """Each width's N-image figures beside Table II's, over the width 1.0 figures (the first
    width's when 1.0 is not among them)."""
    base = next((r for r in results if r.width == 1.0), results[0])
    return [table2_comparison(_figures(r), _figures(base)) for r in results]


def _figures(r: PerfResult) -> Table2Figures:
    return Table2Figures(net=r.model, width=r.width, images=r.images,
                         latency_s=r.total_latency_s, energy_j=r.total_energy_j)  # fmt: skip
