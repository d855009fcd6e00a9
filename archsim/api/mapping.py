"""The mapping arrows: `nn.Module --extract--> [LayerSpec] --map--> Mapping`, and the pipeline
of `archsim map`, one stage after another (`map_widths`):

1. `design_points`: load the hardware and its cost table, trace every width, fix the one chip
   budget they share, then map, balance and plan each width (`perf.balance.costed_mapping`,
   which returns the mapping with the plans it was checked with);
2. `estimate_point` (perf/estimators.py): estimate each planned point with the named
   estimator, on those plans.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from archsim.config.hardware import HardwareConfig, load_hardware
from archsim.mapping.mapper import map_model, map_net, trace_net
from archsim.mapping.options import MapOptions
from archsim.mapping.policy import POLICIES
from archsim.mapping.records import LayerMapping, LayerSpec, Mapping
from archsim.mapping.summary import MappingSummary, summarize
from archsim.perf.balance import balanced_point
from archsim.perf.plan import PlannedMapping
from archsim.perf.result import PerfResult
from archsim.progress import Step

if TYPE_CHECKING:
    from torch import nn

    from archsim.mapping.geometry import Geometry

__all__ = [
    "LayerMapping",
    "LayerSpec",
    "MapOptions",
    "MapRequest",
    "Mapping",
    "MappingSummary",
    "PlannedMapping",
    "WidthCost",
    "balanced_point",
    "default_policy",
    "design_point",
    "design_points",
    "extract",
    "map_model",
    "map_net",
    "map_widths",
    "placement_policies",
    "summarize",
    "trace_net",
]


# The placement a command uses when none is given, and why. A zoo net takes the drop-connect
# paper's placement (its 1x1 convolutions on the CPU), the one the paper's Table II and the
# sweeps use; a zoo ResNet on a 28x28 one-channel dataset also keeps its stem and classifier
# there (`cpu-1x1-ends`). A user's own network (`file.py:factory` or `module:factory`) keeps
# every layer on crossbars unless asked: the paper's rule would send its 1x1 convolutions to a
# CPU that can cost most of its energy, which nobody asked for.
ZOO_DEFAULT = "cpu-1x1"
OWN_DEFAULT = "all-rram"
ONE_CHANNEL_DEFAULT = "cpu-1x1-ends"
# 28x28 one-channel datasets: docs/experiment-fashion-mnist.md keeps the stem and the classifier
# off the crossbars there, since a stem with one input channel is extremely fragile
ONE_CHANNEL = ("fashion-mnist", "mnist")


def is_own_network(model: str) -> bool:
    """A user model names its factory (`path/to/file.py:factory`, `module:factory`)."""
    return ":" in model


def default_policy(model: str, policy: str | None, dataset: str | None = None) -> tuple[str, str]:
    """The placement to use and why ("" when the user chose it)."""
    if policy is not None:
        return policy, ""
    if dataset in ONE_CHANNEL and model.startswith("resnet"):
        return ONE_CHANNEL_DEFAULT, (
            f"a zoo ResNet on {dataset}: a stem with one input channel is extremely fragile, so "
            "it and the classifier run fault-free on the CPU with the 1x1 convs, as "
            "docs/experiment-fashion-mnist.md does"
        )
    if is_own_network(model):
        return OWN_DEFAULT, (
            "your own network: every layer on crossbars (--policy cpu-1x1 moves its 1x1 "
            "convs to the CPU, as the drop-connect paper does)"
        )
    return ZOO_DEFAULT, "a zoo net: the drop-connect paper's placement, 1x1 convs on the CPU"


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
                         model_name=model_name, width=width).mapping  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class MapRequest:
    """What `archsim map` maps: the net and widths, where, and how (`mapping`)."""

    model: str
    widths: tuple[float, ...]
    hardware: str
    mapping: MapOptions
    net_options: dict[str, Any] = field(default_factory=dict)
    input_shape: tuple[int, ...] | None = None  # None: the net's usual input
    num_classes: int = 10
    budget_chips: int | str | None = None  # a chip count, "node", or None: the default rule


def _budget(
    budget_chips: int | str | None,
    geometry: "Geometry",
    traced: Sequence[tuple["nn.Module", list[LayerSpec]]],
    options: MapOptions,
    widths: Sequence[float],
    *,
    net: str,
    input_shape: tuple[int, ...],
) -> int:
    """The chips every width is costed in: `budget_chips` ("node": every chip of the node),
    else the fewest that hold the widest point with one copy of each layer."""
    from archsim.mapping.mapper import map_specs
    from archsim.perf.balance import default_budget_chips

    if budget_chips == "node":
        return geometry.chips
    if isinstance(budget_chips, int):
        return budget_chips
    one_copy = replace(options, replicate=False, budget_tiles=None)
    return default_budget_chips([
        map_specs(specs, geometry, input_shape=input_shape, options=one_copy, model_name=net,
                  width=w)
        for (_, specs), w in zip(traced, widths, strict=True)
    ])  # fmt: skip


def design_points(request: MapRequest) -> tuple[PlannedMapping, ...]:
    """Zoo net `request.model` at every width, mapped as `request.mapping` says in one shared
    chip budget, balanced and planned: map -> balance -> plan, in this order.

    The budget is `request.budget_chips` ("node": every chip of the node), else the fewest
    chips that hold the largest width unreplicated (`budget_tiles` provisions tiles instead);
    each width is balanced inside it unless `request.mapping.replicate` is False
    (`archsim.perf.balance`).
    """
    from archsim.mapping.geometry import resolve_geometry
    from archsim.mapping.mapper import with_unused_note
    from archsim.mapping.policy import check_policy
    from archsim.nets import net_info
    from archsim.perf.balance import costed_mapping
    from archsim.perf.hw_costs import costs_from_hardware

    net, options = request.model, request.mapping
    check_policy(options.policy)  # fail before building any net
    hw = load_hardware(request.hardware)
    geometry, costs = resolve_geometry(hw), costs_from_hardware(hw)
    shape = tuple(request.input_shape or net_info(net).input_shape)
    traced = [trace_net(net, w, shape, request.num_classes, request.net_options)
              for w in request.widths]  # fmt: skip
    budget = _budget(request.budget_chips, geometry, traced, options, request.widths, net=net,
                     input_shape=shape)  # fmt: skip
    points = []
    for (model, specs), w in zip(traced, request.widths, strict=True):
        planned = costed_mapping(specs, geometry, costs, budget, options, input_shape=shape,
                                 model_name=net, width=w)  # fmt: skip
        noted = with_unused_note(planned.mapping, model, specs)  # notes change no plan
        points.append(replace(planned, mapping=noted, hardware=hw))
    return tuple(points)


@dataclass(frozen=True, kw_only=True)
class WidthCost:
    """One width's planned design point and its estimate."""

    point: PlannedMapping
    result: PerfResult

    @property
    def replicas_added(self) -> int:
        """Replicas beyond one copy of each RRAM layer."""
        return sum(lm.replicas - 1 for lm in self.point.mapping.rram_layers)


def map_widths(
    request: MapRequest, estimator: str, images: int, step: Step = lambda _text: None
) -> tuple[WidthCost, ...]:
    """The pipeline of `archsim map`: map -> balance -> plan every width (`design_points`),
    then estimate each on the plans it was balanced with (none planned again). `step` is
    told which stage runs (a CLI spinner)."""
    from archsim.perf.estimators import estimate_point

    step(f"map: mapping {request.model} at {len(request.widths)} width(s)")
    points = design_points(request)
    step(f"map: costing with the {estimator} estimator")
    return tuple(WidthCost(point=p, result=estimate_point(p, estimator, images)) for p in points)
