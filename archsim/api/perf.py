"""The estimate arrow: `Mapping --plan--> PlannedMapping --estimate--> PerfResult`, by a
registered estimator (`des`, `analytic`, `paper`: `archsim.api.estimators`), and Table II of
the drop-connect paper beside an estimate."""

from collections.abc import Mapping as MappingABC
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from archsim.mapping.records import Mapping
from archsim.perf.estimators import estimate_point
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
    "EnergyBreakdown",
    "LayerCost",
    "PerfResult",
    "PlannedMapping",
    "Table2Comparison",
    "energy_breakdown",
    "estimate",
    "estimate_point",
    "paper_mismatch",
    "paper_reference",
    "plan_mapping",
    "small_share_note",
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


@dataclass(frozen=True, kw_only=True)
class EnergyBreakdown:
    """An estimate's energy per image by component: each layer's dynamic energy (layers that
    spend any), their sum, the static energy (static power x the interval) and the total."""

    width: float
    layers: tuple[tuple[str, dict[str, float]], ...]  # (layer, joules by component)
    dynamic: dict[str, float]
    static: dict[str, float]
    total: dict[str, float]  # dynamic + static, components in name order


def energy_breakdown(result: PerfResult) -> EnergyBreakdown:
    """What `archsim map --breakdown` prints for one width."""
    layers = []
    dynamic: dict[str, float] = {}
    for layer in result.layers:
        if not any(layer.energy_by_component_j.values()):
            continue
        layers.append((layer.name, dict(layer.energy_by_component_j)))
        for c, j in layer.energy_by_component_j.items():
            dynamic[c] = dynamic.get(c, 0.0) + j
    static = dict(result.static_by_component_j)
    total = {c: dynamic.get(c, 0.0) + static.get(c, 0.0) for c in sorted({*dynamic, *static})}
    return EnergyBreakdown(width=result.width, layers=tuple(layers), dynamic=dynamic,
                           static=static, total=total)  # fmt: skip


SMALL_SHARE = (
    0.25  # of the budget's area occupied, below which a net is priced in mostly idle silicon
)
MOSTLY_STATIC = 0.9  # of the energy per image that is static power


def small_share_note(results: Sequence[PerfResult]) -> str | None:
    """What to say when a net fills little of a whole-chip budget: its costs are then mostly
    the idle remainder's static power, and a tile budget prices it as a part of a chip."""
    for r in results:
        share = r.occupied_area_mm2 / r.provisioned_area_mm2
        static = r.static_energy_j / r.energy_per_image_j
        if r.budget_tiles == 0 and (share < SMALL_SHARE or static > MOSTLY_STATIC):
            return (
                f"width {r.width:g} occupies {share:.0%} of its {r.budget_chips}-chip budget "
                f"and static power is {static:.0%} of its energy per image: a small net priced "
                "in a whole chip. --budget-tiles N prices it in N tiles instead (a few more "
                "than the tiles it needs with one copy of each layer, --no-replicate shows them)"
            )
    return None
