"""Placement search: which layers to run fault-free on the CPU, from the vulnerability table.

Moving a set S of layers to the CPU is predicted to raise the all-faulty accuracy by the sum
of their single-layer losses (additivity is an assumption; the Monte-Carlo verification of
each chosen placement, `ft_techniques`, measures the truth on the same chips). The energy it
costs is measured, not predicted: each candidate placement is costed as a balanced design
point. Rule (greedy for a 0/1 knapsack, O(L log L) to order plus one design-point cost per
step): layers with a positive loss are taken in decreasing loss per joule of their own CPU
move (a move that saves energy first), giving a nested family `search-1` ⊂ `search-2` ⊂ ...;
under an energy budget the search picks the longest prefix whose measured energy fits (and,
with `min_throughput`, whose throughput does). `all-rram` is `search-0`; `cpu-1x1` is the
member of the same family that moves exactly the 1x1 convolutions.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from archsim.explore.ft_records import (
    PlacementCandidate,
    PointCost,
    VulnerabilityRow,
    VulnerabilityStudy,
)
from archsim.explore.ft_study import Study
from archsim.explore.ft_vulnerability import BASE


@dataclass(frozen=True)
class Candidate:
    label: str
    layers: tuple[str, ...]  # moved to the CPU
    predicted_accuracy: float
    cost: PointCost

    @property
    def overrides(self) -> tuple[str, ...]:
        return tuple(f"{name}=cpu" for name in self.layers)

    def record(self) -> PlacementCandidate:
        return PlacementCandidate(
            placement=self.label,
            cpu_layers=" ".join(self.layers),
            predicted_accuracy=self.predicted_accuracy,
            cost=self.cost,
        )


def greedy_order(rows: Sequence[VulnerabilityRow]) -> list[str]:
    """Layers with a positive loss, by decreasing loss per joule of their CPU move."""

    def key(r: VulnerabilityRow) -> float:
        delta = r.cpu_energy_delta_j
        return math.inf if delta <= 0 else r.loss / delta

    return [r.group for r in sorted((r for r in rows if r.loss > 0), key=key, reverse=True)]


def search_family(
    study: Study, table: VulnerabilityStudy, steps: int | None = None
) -> list[Candidate]:
    """`search-0` (all-rram) ... `search-k`, each costed as a design point."""
    loss = {r.group: r.loss for r in table.rows}
    base = table.clean_accuracy - table.all_layers.loss
    order = greedy_order(table.rows)[:steps]
    family = []
    for k in range(len(order) + 1):
        layers = tuple(order[:k])
        predicted = min(table.clean_accuracy, base + sum(loss[n] for n in layers))
        cost = study.cost(BASE, tuple(f"{n}=cpu" for n in layers))[2]
        family.append(Candidate(f"search-{k}", layers, predicted, cost))
    return family


def choose(
    family: list[Candidate],
    energy_budget_j: float | None = None,
    min_throughput_ips: float | None = None,
) -> Candidate:
    """The longest prefix within the budget (`search-0` if none fits)."""
    fits = [
        c
        for c in family
        if (energy_budget_j is None or c.cost.energy_per_image_j <= energy_budget_j)
        and (min_throughput_ips is None or c.cost.throughput_ips >= min_throughput_ips)
    ]
    return max(fits, key=lambda c: len(c.layers)) if fits else family[0]
