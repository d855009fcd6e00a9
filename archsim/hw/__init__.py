"""Hardware component cost models (one module per component), their registry and composition."""

from archsim.hw.catalog import ComponentSet, build_components
from archsim.hw.chip import ChipCosts, NodeCosts, PartCost, chip_costs, node_costs
from archsim.hw.component import ActionCost, ActionRef, Component, Datasheet, UnknownActionError
from archsim.hw.registry import register, specs, unregister
from archsim.hw.spec import ComponentSpec, MvmWork

__all__ = [
    "ActionCost",
    "ActionRef",
    "ChipCosts",
    "Component",
    "ComponentSet",
    "ComponentSpec",
    "Datasheet",
    "MvmWork",
    "NodeCosts",
    "PartCost",
    "UnknownActionError",
    "build_components",
    "chip_costs",
    "node_costs",
    "register",
    "specs",
    "unregister",
]
