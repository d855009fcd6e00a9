"""The cost half of a sweep's expansion (`expand.expand`): map -> simulate per net, width,
placement and hardware variant, and the drop-connect paper's Table II setting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archsim.explore.expansion import Cost, DatasetShape, Expansion
from archsim.explore.jobs import make_job
from archsim.explore.spec import Cost as CostSpec
from archsim.explore.spec import ModelEntry, SweepSpec

# The drop-connect paper's Table II: CIFAR-10 nets, 10,000 images, the throughput-bound
# estimator (the table: docs/reference.md s.3; the estimator: docs/validation.md s.8).
PAPER_SHAPE = (3, 32, 32)
PAPER_CLASSES = 10
PAPER_IMAGES = 10_000
PAPER_NETS = {"resnet20": {"shortcut": "1x1"}, "vgg13": {}, "mobilenetv2": {}}


def net_config(entry: ModelEntry, width: float, shape: DatasetShape) -> dict[str, Any]:
    return {"net": entry.net, "options": dict(shape.options), "width": width}


@dataclass(frozen=True)
class CostPoint:
    """One net, width and placement to map and cost (`paper`: in Table II's setting)."""

    entry: ModelEntry
    width: float
    policy: str
    shape: DatasetShape
    estimator: str
    images: int
    paper: bool = False


def cost_jobs(
    out: Expansion,
    points: list[CostPoint],
    cost: CostSpec,
    hardware: dict[str, str],
    variant: bool = False,
) -> dict[tuple[str, float, str, bool], str]:
    """Map jobs for every point, then one simulate job per point.

    Every point of the group is costed in one chip budget: `cost.budget_chips`, or the
    largest unreplicated mapping of the group, which the simulate job reads from the map
    jobs it depends on (so the budget is derived from stored results, not guessed here).
    """
    maps = []
    for p in points:
        base = {
            **net_config(p.entry, p.width, p.shape),
            "input_shape": list(p.shape.input_shape),
            "num_classes": p.shape.num_classes,
            **hardware,
            "policy": p.policy,
        }
        tag = f"{p.entry.name} w{p.width:g} {p.policy}" + (" (paper setting)" if p.paper else "")
        tag += f" {hardware['hardware']}" if variant else ""
        maps.append((base, tag, out.add(make_job("map", base, label=tag))))
    group = {f"budget/{i}": key for i, (_, _, key) in enumerate(maps)}
    fixed = cost.budget_chips or cost.budget_tiles  # a declared budget needs no map results
    keys = {}
    for p, (base, tag, map_key) in zip(points, maps, strict=True):
        others = {role: key for role, key in group.items() if key != map_key}
        deps = {"mapping": map_key, **({} if fixed else others)}
        sim = make_job("simulate", {**base, "estimator": p.estimator, "images": p.images,
                                    "budget_chips": cost.budget_chips,
                                    "budget_tiles": cost.budget_tiles,
                                    "replicate": cost.replicate},
                       deps, label=f"{tag} {p.estimator}")  # fmt: skip
        out.add(sim)
        (out.variant_costs if variant else out.costs).append(
            Cost(p.entry.name, p.entry.net, p.width, p.policy, p.estimator, sim.key, map_key,
                 hardware["hardware"], p.paper)
        )  # fmt: skip
        keys[(p.entry.name, p.width, p.policy, p.paper)] = sim.key
    return keys


def cost_points(
    spec: SweepSpec, shapes: dict[str, DatasetShape], policies: list[str]
) -> tuple[list[CostPoint], list[CostPoint]]:
    """Every net, width and placement of `spec` on its datasets, and in Table II's setting."""
    cost = spec.cost
    points, paper_points = [], []
    for entry in spec.models:
        shape = shapes[entry.name]
        for width in spec.widths:
            points += [CostPoint(entry, width, policy, shape, cost.estimator, cost.images)
                       for policy in policies]  # fmt: skip
            if cost.paper_table and entry.net in PAPER_NETS:
                paper_shape = DatasetShape(
                    "cifar10",
                    PAPER_SHAPE,
                    PAPER_CLASSES,
                    {**shape.options, **PAPER_NETS[entry.net]},
                )
                paper_points += [
                    CostPoint(entry, width, policy, paper_shape, "paper", PAPER_IMAGES, paper=True)
                    for policy in policies
                ]
    return points, paper_points
