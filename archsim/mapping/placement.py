"""Put tiled layers onto physical crossbars: (chip, tile, IMA, crossbar), deterministically.

Layers are placed one after another in execution order. By default each layer starts on a
fresh IMA (the IMA's input register, DACs and ADCs then serve one layer) and fills it crossbar
by crossbar before moving on; its replicas follow one another in the same run of IMAs. With
`pack=True` a layer starts on the next free crossbar instead, so small layers share IMAs and
with them the IMA's ADCs (the performance model queues them; see `perf/plan.py`). IMAs fill
tiles in order and tiles fill chips, so a layer can span tiles and even chips, but no crossbar
ever holds blocks of two layers.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from archsim.errors import UserError
from archsim.mapping.geometry import Geometry
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
    blocks: tuple[CrossbarBlock, ...]
    crossbars: int
    first_ima: int  # node-wide IMA index of the layer's first IMA
    imas: int


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
    """Every replica's blocks, positions computed for all of them at once (numpy): a node-wide
    replication places about a million blocks."""
    per_ima = geometry.crossbars_per_ima
    tiling = layer.tiling.blocks
    replicas = np.repeat(np.arange(layer.replicas), len(tiling))
    slots = np.tile(np.array([b.slot for b in tiling], dtype=np.int64), layer.replicas)
    ima_global, crossbar = np.divmod(first_crossbar + replicas * layer.tiling.crossbars + slots,
                                     per_ima)
    tile_global, ima = np.divmod(ima_global, geometry.imas_per_tile)
    chip, tile = np.divmod(tile_global, geometry.tiles_per_chip)
    fixed = [(b.group, b.row_start, b.row_end, b.col_start, b.col_end, b.row_offset,
              b.col_offset) for b in tiling] * layer.replicas
    make = tuple.__new__  # CrossbarBlock's own __new__ is a Python call per block
    blocks = [
        make(CrossbarBlock, (layer.name, g, r, rs, re, cs, ce, c, t, i, x, ro, co))
        for (g, rs, re, cs, ce, ro, co), r, c, t, i, x in zip(
            fixed, replicas.tolist(), chip.tolist(), tile.tolist(), ima.tolist(),
            crossbar.tolist(), strict=True)
    ]
    first_ima = first_crossbar // per_ima
    last_ima = (first_crossbar + max(layer.crossbars, 1) - 1) // per_ima
    return PlacedLayer(
        name=layer.name,
        blocks=tuple(blocks),
        crossbars=layer.crossbars,
        first_ima=first_ima,
        imas=last_ima - first_ima + 1,
    )


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
