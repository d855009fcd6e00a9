"""Where every replica of a layer sits, without an object per block.

A layer's replicas are copies of one tiling laid one after another on consecutive crossbars
(`placement.py`): block b of replica r is on node-wide crossbar
`first_crossbar + r * stride + slots[b]`, and crossbars fill IMAs, IMAs tiles and tiles chips
in order. A node-wide replicated VGG-16 holds about half a million blocks; keeping replicas
implicit (this record) and computing their positions as numpy arrays when a consumer needs
them keeps `archsim map` from building half a million Python objects.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Positions:
    """Node-wide positions of every block of every replica, replica-major (numpy int64)."""

    replica: np.ndarray
    block: np.ndarray  # index into the layer's one-replica blocks
    crossbar_global: np.ndarray
    ima_global: np.ndarray
    tile_global: np.ndarray
    chip: np.ndarray
    tile: np.ndarray  # within the chip
    ima: np.ndarray  # within the tile
    crossbar: np.ndarray  # within the IMA


@dataclass(frozen=True)
class ReplicaLayout:
    """How to find replica r of a layer: `stride` crossbars after replica r - 1."""

    first_crossbar: int  # node-wide index of replica 0's first crossbar
    stride: int  # crossbars per replica
    replicas: int
    slots: tuple[int, ...]  # crossbar offset of each one-replica block within its replica
    crossbars_per_ima: int
    imas_per_tile: int
    tiles_per_chip: int

    @cached_property
    def positions(self) -> Positions:
        blocks = len(self.slots)
        replica = np.repeat(np.arange(self.replicas, dtype=np.int64), blocks)
        block = np.tile(np.arange(blocks, dtype=np.int64), self.replicas)
        slots = np.asarray(self.slots, dtype=np.int64)
        crossbar_global = self.first_crossbar + replica * self.stride + slots[block]
        ima_global, crossbar = np.divmod(crossbar_global, self.crossbars_per_ima)
        tile_global, ima = np.divmod(ima_global, self.imas_per_tile)
        chip, tile = np.divmod(tile_global, self.tiles_per_chip)
        return Positions(
            replica, block, crossbar_global, ima_global, tile_global, chip, tile, ima, crossbar
        )

    @cached_property
    def chips(self) -> frozenset[int]:
        return frozenset(np.unique(self.positions.chip).tolist())

    @cached_property
    def tiles(self) -> frozenset[tuple[int, int]]:
        """(chip, tile) of every tile holding a block of some replica."""
        tiles = np.unique(self.positions.tile_global)
        chip, tile = np.divmod(tiles, self.tiles_per_chip)
        return frozenset(zip(chip.tolist(), tile.tolist(), strict=True))

    @cached_property
    def imas(self) -> frozenset[tuple[int, int, int]]:
        """(chip, tile, IMA) of every IMA holding a block of some replica."""
        imas = np.unique(self.positions.ima_global)
        tile_global, ima = np.divmod(imas, self.imas_per_tile)
        chip, tile = np.divmod(tile_global, self.tiles_per_chip)
        return frozenset(zip(chip.tolist(), tile.tolist(), ima.tolist(), strict=True))
