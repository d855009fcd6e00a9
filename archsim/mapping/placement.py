"""Put tiled layers onto physical crossbars: (chip, tile, IMA, crossbar), deterministically.

Layers are placed one after another in execution order. By default each layer starts on a
fresh IMA (the IMA's input register, DACs and ADCs then serve one layer) and fills it crossbar
by crossbar before moving on; its replicas follow one another in the same run of IMAs, implicit in a
`ReplicaLayout` (only replica 0's blocks are records; `layout.py`). With
`pack=True` a layer starts on the next free crossbar instead, so small layers share IMAs and
with them the IMA's ADCs (the performance model queues them; see `perf/plan.py`). IMAs fill
tiles in order and tiles fill chips, so a layer can span tiles and even chips, but no crossbar
ever holds blocks of two layers.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from archsim.errors import UserError
from archsim.mapping.geometry import Geometry
from archsim.mapping.layout import ReplicaLayout
from archsim.mapping.records import CrossbarBlock
from archsim.mapping.replication import imas_for
from archsim.mapping.tiling import LayerTiling


@dataclass(frozen=True)
class LayerToPlace:
    name: str
    tiling: LayerTiling
    replicas: int = 1

    @property
    def crossbars(self) -> int:
        return self.tiling.crossbars * self.replicas


@dataclass(frozen=True)
class PlacedLayer:
    name: str
    blocks: tuple[CrossbarBlock, ...]  # replica 0's; the layout finds the others
    layout: ReplicaLayout
    crossbars: int


def imas_needed(layers: Sequence[LayerToPlace], geometry: Geometry, pack: bool = False) -> int:
    if pack:
        return imas_for(sum(layer.crossbars for layer in layers), geometry.crossbars_per_ima)
    return sum(imas_for(layer.crossbars, geometry.crossbars_per_ima) for layer in layers)


def chips_needed(layers: Sequence[LayerToPlace], geometry: Geometry, pack: bool = False) -> int:
    return math.ceil(imas_needed(layers, geometry, pack) / geometry.imas_per_chip)


def check_fits(
    layers: Sequence[LayerToPlace], geometry: Geometry, label: str, pack: bool = False
) -> int:
    """Chips the layers need; a UserError if that is more than the node has."""
    needed = chips_needed(layers, geometry, pack)
    if needed > geometry.chips:
        crossbars = sum(layer.crossbars for layer in layers)
        raise UserError(
            f"{label} needs {needed} chips ({crossbars} crossbars) but hardware "
            f"{geometry.name} has {geometry.chips} chip{'s' if geometry.chips != 1 else ''} "
            f"of {geometry.crossbars_per_chip} crossbars"
        )
    return needed


def _place_one(layer: LayerToPlace, first_crossbar: int, geometry: Geometry) -> PlacedLayer:
    """Replica 0's blocks with positions; the other replicas stay implicit in the layout."""
    per_ima = geometry.crossbars_per_ima
    tiling = layer.tiling.blocks
    layout = ReplicaLayout(
        first_crossbar,
        layer.tiling.crossbars,
        layer.replicas,
        tuple(b.slot for b in tiling),
        per_ima,
        geometry.imas_per_tile,
        geometry.tiles_per_chip,
    )
    p, n = layout.positions, len(tiling)  # replica-major: replica 0 comes first
    blocks = tuple(
        CrossbarBlock(
            layer.name,
            b.group,
            0,
            b.row_start,
            b.row_end,
            b.col_start,
            b.col_end,
            chip,
            tile,
            ima,
            crossbar,
            b.row_offset,
            b.col_offset,
        )
        for b, chip, tile, ima, crossbar in zip(
            tiling,
            p.chip[:n].tolist(),
            p.tile[:n].tolist(),
            p.ima[:n].tolist(),
            p.crossbar[:n].tolist(),
            strict=True,
        )
    )
    return PlacedLayer(name=layer.name, blocks=blocks, layout=layout, crossbars=layer.crossbars)


def place_layers(
    layers: Sequence[LayerToPlace],
    geometry: Geometry,
    label: str = "the network",
    pack: bool = False,
) -> list[PlacedLayer]:
    """Blocks with physical positions for every layer, in order; UserError if too large.

    `pack`: a layer starts on the next free crossbar, not the next free IMA."""
    check_fits(layers, geometry, label, pack)
    placed = []
    next_crossbar = 0
    per_ima = geometry.crossbars_per_ima
    for layer in layers:
        placed_layer = _place_one(layer, next_crossbar, geometry)
        placed.append(placed_layer)
        next_crossbar += layer.crossbars
        if not pack:
            next_crossbar = math.ceil(next_crossbar / per_ima) * per_ima
    return placed
