"""Shift-and-add units: merge bit-sliced partial sums (IMA) and row blocks (tile)."""

from dataclasses import dataclass

from archsim.hw.component import ActionRef
from archsim.hw.digital import OP_NAME, DigitalUnit, unit_spec

IMA_OP = ActionRef("ima.shift_add", OP_NAME)
TILE_OP = ActionRef("tile.shift_add", OP_NAME)


@dataclass(frozen=True)
class ShiftAdd(DigitalUnit):
    """A shift-and-add unit; the tile's also runs BN, residual adds and other arithmetic."""


IMA_SHIFT_ADD = unit_spec(ShiftAdd, IMA_OP, lambda w: w.cycles * w.cols)  # one per conversion
# partial sums of a column range held in several row blocks are merged in the tile
TILE_SHIFT_ADD = unit_spec(ShiftAdd, TILE_OP, lambda w: w.merges)
