"""Line faults: whole physical crossbar rows (`row`, word lines) or columns (`column`, bit
lines) stuck; `rate` is the fraction of the used crossbars' rows / columns.

One stream per (seed, chip, crossbar) draws that crossbar's stuck lines (`draw.draw_lines`);
every cell of a layer lying on a stuck line takes the line's state (`draw.lines_to_faults`).
Each replica's blocks must tile its weight matrix exactly (`draw.check_blocks`). Not sampled
during training.
"""

from typing import ClassVar

import numpy as np

from archsim.faults.draw import check_blocks, crossbar_index, draw_lines, lines_to_faults
from archsim.faults.mechanism import Drawing, Mechanism
from archsim.faults.models import FaultModel
from archsim.faults.records import LayerFaults, StateKind
from archsim.faults.sites import FaultSite, Sites


class LineDrawing:
    """Stuck rows or columns of the crossbars a set of sites uses."""

    def __init__(
        self, granularity: str, sites: tuple[FaultSite, ...], model: FaultModel, lines: int
    ) -> None:
        for site in sites:
            check_blocks(site)
        self.granularity, self.sites, self.model, self.lines = granularity, sites, model, lines
        self.crossbars = crossbar_index(sites)  # (chip, tile, ima, crossbar) -> state row

    def line_states(self, rate: float, seed: int, chip: int) -> np.ndarray:
        """The (crossbars, lines) int8 states behind `draw`."""
        return draw_lines(self.crossbars, self.lines, self.model, rate, seed, chip)

    def draw(self, rate: float, seed: int, chip: int) -> dict[str, LayerFaults]:
        lines = self.line_states(rate, seed, chip)
        return {
            s.name: lines_to_faults(s, self.crossbars, lines, self.granularity) for s in self.sites
        }


class _LineFaults(Mechanism):
    """Whole crossbar lines stuck: rows or columns, as `along_rows` says."""

    kind: ClassVar[StateKind] = "cell"
    along_rows: ClassVar[bool]

    def prepare(self, sites: Sites, model: FaultModel, rows: int, cols: int) -> Drawing:
        lines = rows if self.along_rows else cols
        return LineDrawing(self.granularity, sites, model, lines)


class RowFaults(_LineFaults):
    """`row`: whole crossbar rows (word lines) stuck."""

    granularity: ClassVar[str] = "row"
    along_rows: ClassVar[bool] = True


class ColumnFaults(_LineFaults):
    """`column`: whole crossbar columns (bit lines) stuck."""

    granularity: ClassVar[str] = "column"
    along_rows: ClassVar[bool] = False
