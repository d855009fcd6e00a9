"""The mapping arrows: `nn.Module --extract--> [LayerSpec] --map--> Mapping`, and the design
points `archsim map` and sweeps cost (balanced in a chip budget)."""

from collections.abc import Mapping as MappingABC
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from archsim.config.hardware import HardwareConfig, load_hardware
from archsim.mapping.mapper import map_model, map_net, trace_net
from archsim.mapping.options import MapOptions
from archsim.mapping.policy import POLICIES
from archsim.mapping.records import LayerMapping, LayerSpec, Mapping
from archsim.mapping.summary import MappingSummary, summarize
from archsim.perf.balance import balanced_point

if TYPE_CHECKING:
    from torch import nn

    from archsim.perf.costs import PerfCosts

__all__ = [
    "LayerMapping",
    "LayerSpec",
    "MapOptions",
    "Mapping",
    "MappingSummary",
    "WidthPoints",
    "balanced_point",
    "design_point",
    "design_points",
    "extract",
    "map_model",
    "map_net",
    "placement_policies",
    "summarize",
    "trace_net",
]


def placement_policies() -> dict[str, str]:
    """Every placement policy's name and its few words, in registry order."""
    return {name: words for name, (_, words) in POLICIES.items()}


def extract(model: "nn.Module", input_shape: Sequence[int]) -> list[LayerSpec]:
    """Every operation of `model`'s graph (conv, linear, BN, pool, add, F.relu, matmul, ...)
    seen in one forward pass; forward hooks for code torch.fx cannot trace."""
    from archsim.mapping.graph import graph_layers

    return graph_layers(model, input_shape)


def design_point(
    model: "nn.Module",
    input_shape: Sequence[int],
    hw: HardwareConfig | str,
    budget_chips: int = 1,
    options: MapOptions | None = None,
    *,
    model_name: str = "custom",
    width: float = 1.0,
) -> Mapping:
    """`model` mapped in a budget of `budget_chips` chips as `options` say (default: the
    cpu-1x1 policy, replicated until its pipeline is balanced, `archsim.perf.balance`): the
    mapping `archsim map` and sweeps cost. `options.replicate=False` keeps one copy of each
    layer in the budget."""
    from archsim.mapping.geometry import resolve_geometry
    from archsim.perf.balance import costed_mapping
    from archsim.perf.hw_costs import costs_from_hardware

    config = load_hardware(hw) if isinstance(hw, str) else hw
    return costed_mapping(extract(model, input_shape), resolve_geometry(config),
                         costs_from_hardware(config), budget_chips,
                         options or MapOptions(), input_shape=tuple(input_shape),
                         model_name=model_name, width=width)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class WidthPoints:
    """The design points of one net at several widths in one chip budget, the hardware they
    are on and its cost table (the one the balancer planned with, so estimates reuse its
    plans)."""

    mappings: tuple[Mapping, ...]
    hardware: HardwareConfig
    costs: "PerfCosts"


def design_points(
    net: str,
    widths: Sequence[float],
    hardware: str,
    options: MapOptions,
    *,
    input_shape: Sequence[int] | None = None,
    num_classes: int = 10,
    net_options: MappingABC[str, Any] | None = None,
    budget_chips: int | str | None = None,
) -> WidthPoints:
    """Zoo net `net` at every width, mapped as `options` say in one shared chip budget.

    The budget is `budget_chips` ("node": every chip of the node), else the fewest chips that
    hold the largest width unreplicated (`options.budget_tiles` provisions tiles instead);
    each width is balanced inside it unless `options.replicate` is False
    (`archsim.perf.balance`).
    `input_shape` defaults to the net's usual input; `net_options` are the net's own.
    """
    from archsim.mapping.geometry import resolve_geometry
    from archsim.mapping.mapper import map_specs, with_unused_note
    from archsim.mapping.policy import check_policy
    from archsim.nets import net_info
    from archsim.perf.balance import costed_mapping, default_budget_chips
    from archsim.perf.hw_costs import costs_from_hardware

    check_policy(options.policy)  # fail before building any net
    hw = load_hardware(hardware)
    geometry, costs = resolve_geometry(hw), costs_from_hardware(hw)
    shape = tuple(input_shape or net_info(net).input_shape)
    traced = [trace_net(net, w, shape, num_classes, dict(net_options or {})) for w in widths]
    if budget_chips == "node":
        budget = geometry.chips
    elif isinstance(budget_chips, int):
        budget = budget_chips
    else:  # the fewest chips that hold the widest point with one copy of each layer
        one_copy = replace(options, replicate=False, budget_tiles=None)
        budget = default_budget_chips([
            map_specs(specs, geometry, input_shape=shape, options=one_copy, model_name=net,
                      width=w)
            for (_, specs), w in zip(traced, widths, strict=True)
        ])  # fmt: skip
    mappings = tuple(
        with_unused_note(costed_mapping(specs, geometry, costs, budget, options,
                                       input_shape=shape, model_name=net, width=w),
                         model, specs)
        for (model, specs), w in zip(traced, widths, strict=True)
    )  # fmt: skip
    return WidthPoints(mappings=mappings, hardware=hw, costs=costs)
