"""Map a network onto a node of crossbars: extract, decide targets, tile, replicate, place.

Every extracted layer comes back in `Mapping.layers`, in execution order, exactly once:
weight layers on `rram` (with blocks) or `cpu`, everything else `digital` or `unsupported`.
"""

import math
from collections.abc import Mapping as MappingABC
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from archsim.errors import UserError
from archsim.mapping.geometry import Geometry, resolve_geometry
from archsim.mapping.options import MapOptions
from archsim.mapping.placement import (
    LayerToPlace,
    PlacedLayer,
    check_fits,
    imas_needed,
    place_layers,
)
from archsim.mapping.policy import TargetChoice, assign_targets, find_roles
from archsim.mapping.records import LayerMapping, LayerSpec, Mapping
from archsim.mapping.replication import plan_replicas, replication_budget_chips
from archsim.mapping.tiling import LayerTiling, tile_layer

if TYPE_CHECKING:
    from torch import nn


def _label(model_name: str, width: float) -> str:
    return f"{model_name} at width {width:g}"


def _layer_mapping(
    spec: LayerSpec,
    placement: TargetChoice,
    tiling: LayerTiling | None,
    placed: PlacedLayer | None,
    replicas: int,
    geometry: Geometry,
) -> LayerMapping:
    if tiling is None or placed is None:
        return LayerMapping(spec=spec, target=placement.target, reason=placement.reason)
    reason = placement.reason
    if tiling.groups_per_crossbar > 1:
        reason += (
            f"; {spec.groups} groups of {spec.matrix_rows}x{spec.matrix_cols} packed "
            f"block-diagonally, {tiling.groups_per_crossbar} per crossbar"
        )
    return LayerMapping(
        spec=spec,
        target="rram",
        reason=reason,
        cells_per_weight=tiling.cells_per_weight,
        bias_columns=tiling.bias_columns,
        replicas=replicas,
        blocks=placed.blocks,
        layout=placed.layout,
        crossbars=placed.crossbars,
        utilization=tiling.utilization(geometry),
        weight_cells=tiling.weight_cells * replicas,
        groups_per_crossbar=tiling.groups_per_crossbar,
    )


def _notes(specs: Sequence[LayerSpec], layers: Sequence[LayerMapping]) -> list[str]:
    roles = find_roles(specs)
    by_name = {lm.spec.name: lm for lm in layers}
    notes = []
    for role, name in (("first conv", roles.first_conv), ("classifier", roles.classifier)):
        notes.append(f"{role}: {name} -> {by_name[name].target}" if name else f"{role}: none")
    packed = [lm for lm in layers if lm.groups_per_crossbar > 1]
    if packed:
        low, high = min(lm.utilization for lm in packed), max(lm.utilization for lm in packed)
        span = f"{low:.1%}" if low == high else f"{low:.1%}-{high:.1%}"
        names = packed[0].spec.name + (", ..." if len(packed) > 1 else "")
        notes.append(
            f"{len(packed)} grouped/depthwise conv(s) packed block-diagonally, one small "
            f"matrix per group: low crossbar utilization {span} ({names})"
        )
    unsupported = [lm.spec.name for lm in layers if lm.target == "unsupported"]
    if unsupported:
        notes.append(f"unsupported (not mapped, MACs unknown): {', '.join(unsupported)}")
        notes.append(f"left out of every cost and total (mapped anyway): {len(unsupported)} "
                     f"op(s), {sum(lm.spec.params for lm in layers if lm.target == 'unsupported')}"
                     " parameters")  # fmt: skip
    return notes


def _refuse_unsupported(specs: Sequence[LayerSpec], label: str) -> None:
    bad = [s for s in specs if not s.supported]
    if bad:
        more = f" and {len(bad) - 1} more" if len(bad) > 1 else ""
        raise UserError(f"{label}: {bad[0].name} cannot be mapped ({bad[0].reason}){more}; "
                        "allow unsupported ops (--allow-unsupported) to map the rest "
                        "without them")  # fmt: skip


def _explicit_replicas(replicas: MappingABC[str, int], name: str) -> int:
    count = replicas.get(name)
    if count is None or isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise UserError(f"replica count of layer {name} must be an integer >= 1, got {count!r}")
    return count


def _check_budget(
    layers: Sequence[LayerToPlace], geometry: Geometry, budget_imas: int, label: str, pack: bool
) -> None:
    needed = imas_needed(layers, geometry, pack)
    if needed > budget_imas:
        raise UserError(f"{label} with these replicas needs {needed} IMAs, over the budget of "
                        f"{budget_imas}")  # fmt: skip


def _tile_budget_imas(
    layers: Sequence[LayerToPlace],
    geometry: Geometry,
    budget_tiles: int,
    label: str,
    pack: bool,
) -> int:
    if isinstance(budget_tiles, bool) or not isinstance(budget_tiles, int):
        raise UserError(f"a tile budget must be a whole number of tiles, got {budget_tiles!r}")
    needed = math.ceil(imas_needed(layers, geometry, pack) / geometry.imas_per_tile)
    node_tiles = geometry.chips * geometry.tiles_per_chip
    if not max(1, needed) <= budget_tiles <= node_tiles:
        raise UserError(f"a budget of {budget_tiles} tiles must be between the {max(1, needed)} "
                        f"{label} needs with one copy of each layer and the node's "
                        f"{node_tiles}")  # fmt: skip
    return budget_tiles * geometry.imas_per_tile


def map_specs(
    specs: Sequence[LayerSpec],
    hw: "Geometry | str | Any",
    *,
    input_shape: Sequence[int],
    options: MapOptions | None = None,
    model_name: str = "custom",
    width: float = 1.0,
    replicas: MappingABC[str, int] | None = None,
) -> Mapping:
    """Map already extracted layers (see `map_model`) as `options` say (default
    `MapOptions()`: policy cpu-1x1, one copy of each layer).

    A layer that is not supported (`LayerSpec.supported` False: an op without a mapping) is
    a UserError unless `options.allow_unsupported`; then it is kept as `unsupported`, left
    out of every cost, and the notes say what was left out.

    `replicas` (with `options.replicate`) gives the replica count of each RRAM layer by name
    instead of the balanced plan for the budget (the balancer in `archsim.perf.balance` uses
    it to drop replicas that a non-replicable stage would leave idle); every count must be
    >= 1 and the layers must fit the budget's chips.

    `options.budget_tiles` provisions that many tiles instead of whole chips (a design
    smaller than one chip); it must hold the layers with one copy each and at most the node's
    tiles. `options.pack_imas` starts each layer on the next free crossbar instead of a fresh
    IMA, so small layers share IMAs (and their ADCs).
    """
    opts = options or MapOptions()
    replicate = opts.replicates(False)
    geometry = resolve_geometry(hw)
    if not opts.allow_unsupported:
        _refuse_unsupported(specs, _label(model_name, width))
    placements = assign_targets(specs, opts.policy, opts.overrides)
    on_rram = [(s, p) for s, p in zip(specs, placements, strict=True) if p.target == "rram"]
    tilings = {spec.name: tile_layer(spec, geometry) for spec, _ in on_rram}
    label = _label(model_name, width)
    to_place = [LayerToPlace(spec.name, tilings[spec.name]) for spec, _ in on_rram]
    chips = check_fits(to_place, geometry, label, opts.pack_imas)
    budget_chips, budget_imas = _budget(to_place, geometry, opts, chips, label)
    if replicas is not None and not replicate:
        raise UserError("explicit replica counts need options.replicate")
    if replicate and to_place:
        pixels = [spec.output_pixels for spec, _ in on_rram]
        to_place = _replicated(to_place, pixels, geometry, budget_imas, replicas, opts, label)
    placed = {p.name: p for p in place_layers(to_place, geometry, label, opts.pack_imas)}
    replicas_by_name = {layer.name: layer.replicas for layer in to_place}
    layers = [
        _layer_mapping(
            spec,
            placement,
            tilings.get(spec.name),
            placed.get(spec.name),
            replicas_by_name.get(spec.name, 1),
            geometry,
        )
        for spec, placement in zip(specs, placements, strict=True)
    ]
    return _record(specs, layers, geometry, opts, budget_chips, model_name, width, input_shape)


def _budget(
    to_place: list[LayerToPlace], geometry: Geometry, opts: MapOptions, chips: int, label: str
) -> tuple[int, int]:
    """The chips and IMAs provisioned: whole chips for the replication scope, or the tiles
    `opts.budget_tiles` asks for."""
    budget_chips = replication_budget_chips(opts.replicate_scope, chips, geometry.chips)
    if opts.budget_tiles is None:
        return budget_chips, budget_chips * geometry.imas_per_chip
    imas = _tile_budget_imas(to_place, geometry, opts.budget_tiles, label, opts.pack_imas)
    return math.ceil(opts.budget_tiles / geometry.tiles_per_chip), imas


def _replicated(
    to_place: list[LayerToPlace],
    pixels: list[int],
    geometry: Geometry,
    budget_imas: int,
    replicas: MappingABC[str, int] | None,
    opts: MapOptions,
    label: str,
) -> list[LayerToPlace]:
    """The layers with their replica counts: the explicit ones (checked against the
    budget), or the balanced plan for the budget's IMAs."""
    if replicas is not None:
        explicit = [
            LayerToPlace(layer.name, layer.tiling, _explicit_replicas(replicas, layer.name))
            for layer in to_place
        ]
        _check_budget(explicit, geometry, budget_imas, label, opts.pack_imas)
        return explicit
    counts = plan_replicas(
        [layer.tiling.crossbars for layer in to_place],
        pixels,
        geometry.crossbars_per_ima,
        budget_imas,
    )
    return [
        LayerToPlace(layer.name, layer.tiling, r) for layer, r in zip(to_place, counts, strict=True)
    ]


def _record(
    specs: Sequence[LayerSpec],
    layers: list[LayerMapping],
    geometry: Geometry,
    opts: MapOptions,
    budget_chips: int,
    model_name: str,
    width: float,
    input_shape: Sequence[int],
) -> Mapping:
    """The Mapping record of the placed layers and the options that placed them."""
    replicate = opts.replicates(False)
    return Mapping(
        model=model_name,
        width=width,
        hardware=geometry.name,
        policy=opts.policy,
        input_shape=tuple(input_shape),
        crossbar_rows=geometry.rows,
        crossbar_cols=geometry.cols,
        weight_bits=geometry.weight_bits,
        bits_per_cell=geometry.bits_per_cell,
        encoding=geometry.encoding,
        layers=tuple(layers),
        crossbars_per_ima=geometry.crossbars_per_ima,
        imas_per_tile=geometry.imas_per_tile,
        tiles_per_chip=geometry.tiles_per_chip,
        chips_available=geometry.chips,
        notes=tuple(_notes(specs, layers)),
        overrides=tuple(
            o if isinstance(o, str) else f"{o.pattern}={o.target}" for o in opts.overrides
        ),
        replicate=replicate,
        replicate_scope=str(opts.replicate_scope) if replicate else "",
        replicate_budget_chips=budget_chips if replicate else 0,
        budget_chips=budget_chips,
        budget_tiles=opts.budget_tiles or 0,
        packed_imas=opts.pack_imas,
        allow_unsupported=opts.allow_unsupported,
    )


def with_unused_note(mapping: Mapping, model: "nn.Module", specs: Sequence[LayerSpec]) -> Mapping:
    """`mapping` with the extraction's notes: parameters that never ran, and whether the
    model had to be read from forward hooks (see `archsim.mapping.graph`)."""
    from archsim.mapping.graph import graph_notes

    notes = graph_notes(model, specs)
    return replace(mapping, notes=(*mapping.notes, *notes)) if notes else mapping


def map_model(
    model: "nn.Module",
    input_shape: Sequence[int],
    hw: "Geometry | str | Any",
    *,
    options: MapOptions | None = None,
    model_name: str = "custom",
    width: float = 1.0,
) -> Mapping:
    """Map any `nn.Module` for images of `input_shape` (no batch dim) onto hardware `hw`.

    Every operation of its `torch.fx` graph is listed (modules and functional ops, see
    `archsim.mapping.graph`); an untraceable model is read from forward hooks, with a note.
    An op without a mapping is a UserError unless `options.allow_unsupported` (see
    `map_specs`).

    `hw` is a `Geometry`, a `HardwareConfig`, or a hardware name/path to load. With
    `options.replicate` (off by default, so crossbar counts are the plain hand formula) spare
    crossbars are filled with copies of high-pixel layers to balance the pipeline (see
    replication.py): by default those of the chips the network occupies;
    `replicate_scope="node"` fills the whole node, an integer that many chips.
    """
    from archsim.mapping.graph import graph_layers

    specs = graph_layers(model, input_shape)
    mapping = map_specs(specs, hw, input_shape=input_shape, options=options,
                        model_name=model_name, width=width)  # fmt: skip
    return with_unused_note(mapping, model, specs)


def trace_net(
    name: str, width: float, input_shape: Sequence[int], num_classes: int, options: Any
) -> tuple["nn.Module", list[LayerSpec]]:
    """Build zoo net `name` on the CPU and extract its graph's layers (one zero-input pass).

    (Tracing on the meta device was tried: it imports torch._dynamo, about 0.8 s, while a
    real batch-1 pass costs 20-60 ms even for VGG-16 at width 1.6.)
    """
    from archsim.mapping.graph import graph_layers
    from archsim.nets import get_net

    model = get_net(
        name, width=width, num_classes=num_classes, in_channels=input_shape[0], **options
    )
    return model, graph_layers(model, input_shape)


def map_net(
    name: str,
    width: float,
    hw: "Geometry | str | Any",
    input_shape: Sequence[int] | None = None,
    num_classes: int = 10,
    *,
    options: MapOptions | None = None,
    net_options: MappingABC[str, Any] | None = None,
) -> Mapping:
    """Build zoo net `name` (archsim.nets.get_net) at `width` and map it as `options` say.

    `input_shape` defaults to the net's usual input (3x32x32 for the CIFAR nets);
    `net_options` are the net's own options (e.g. `{"shortcut": "1x1"}`).
    """
    from archsim.nets import net_info

    shape = tuple(input_shape) if input_shape is not None else net_info(name).input_shape
    model, specs = trace_net(name, width, shape, num_classes, dict(net_options or {}))
    mapping = map_specs(specs, hw, input_shape=shape, options=options, model_name=name,
                        width=width)  # fmt: skip
    return with_unused_note(mapping, model, specs)
