"""Hardware component cost models (one module per component) and their composition."""

from archsim.hw.catalog import ComponentSet, build_components
from archsim.hw.chip import ChipCosts, NodeCosts, PartCost, chip_costs, node_costs
from archsim.hw.component import ActionCost, Component, UnknownActionError

__all__ = [
    "ActionCost",
    "ChipCosts",
    "Component",
    "ComponentSet",
    "NodeCosts",
    "PartCost",
    "UnknownActionError",
    "build_components",
    "chip_costs",
    "node_costs",
]
