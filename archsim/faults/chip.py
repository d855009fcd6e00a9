"""A chip: one fixed fault map over every RRAM layer, drawn from (seed, chip index).

Chip i of seed s is the same map whatever the number of chips or the order they are drawn
in, and design points with the same layer shapes meet the same chip i (see `draw.py`). How a
granularity's faults are drawn is its mechanism's business (`mechanisms.py`).
"""

import numpy as np

from archsim.faults.clustered import ClusterDrawing
from archsim.faults.lines import LineDrawing
from archsim.faults.mechanisms import mechanism_of
from archsim.faults.models import FaultModel, check_rate
from archsim.faults.physical import XbarKey
from archsim.faults.records import ChipFaults, StateKind
from archsim.faults.sites import FaultSite


class ChipDrawer:
    """Draws chips of one fault model over fixed fault sites."""

    def __init__(
        self,
        sites: tuple[FaultSite, ...],
        model: FaultModel,
        crossbar_rows: int = 128,
        crossbar_cols: int = 128,
    ) -> None:
        self.sites = sites
        self.model = model
        self.mechanism = mechanism_of(model)
        self.drawing = self.mechanism.prepare(sites, model, crossbar_rows, crossbar_cols)

    @property
    def kind(self) -> StateKind:
        return self.mechanism.kind

    def draw(self, rate: float, seed: int, chip: int) -> ChipFaults:
        """The fault map of chip `chip` of `seed` at `rate`."""
        rate = check_rate(rate)
        layers = self.drawing.draw(rate, seed, chip)
        return ChipFaults(self.kind, layers, self.model.name, rate, seed, chip)

    def cluster_states(self, rate: float, seed: int, chip: int) -> dict[XbarKey, np.ndarray]:
        """Clustered cell models only: the (rows, cols) states of every used crossbar."""
        if not isinstance(self.drawing, ClusterDrawing):
            raise ValueError("cluster states exist only for cluster fault models")
        return self.drawing.cluster_states(check_rate(rate), seed, chip)

    def line_states(self, rate: float, seed: int, chip: int) -> np.ndarray:
        """Row / column models only: the (crossbars, lines) int8 states behind `draw`."""
        if not isinstance(self.drawing, LineDrawing):
            raise ValueError("line states exist only for row / column fault models")
        return self.drawing.line_states(check_rate(rate), seed, chip)


def draw_chip(
    sites: tuple[FaultSite, ...],
    model: FaultModel,
    rate: float,
    seed: int,
    chip: int,
    crossbar_rows: int = 128,
    crossbar_cols: int = 128,
) -> ChipFaults:
    """One chip's fault map (convenience wrapper around `ChipDrawer`)."""
    return ChipDrawer(sites, model, crossbar_rows, crossbar_cols).draw(rate, seed, chip)
