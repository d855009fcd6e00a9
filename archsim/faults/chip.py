"""A chip: one fixed fault map over every RRAM layer, drawn from (seed, chip index).

Chip i of seed s is the same map whatever the number of chips or the order they are drawn
in, and design points with the same layer shapes meet the same chip i (see `draw.py`).
"""

import numpy as np

from archsim.faults.clustered import ClusterModel, draw_crossbars
from archsim.faults.draw import (
    check_blocks,
    crossbar_index,
    draw_independent,
    draw_lines,
    lines_to_faults,
)
from archsim.faults.models import FaultModel, check_rate
from archsim.faults.physical import Layout
from archsim.faults.records import ChipFaults, LayerFaults, StateKind
from archsim.faults.sites import FaultSite


class ChipDrawer:
    """Draws chips of one fault model over fixed fault sites."""

    def __init__(self, sites: tuple[FaultSite, ...], model: FaultModel, crossbar_rows: int = 128,
                 crossbar_cols: int = 128) -> None:
        self.sites = sites
        self.model = model
        self.lines = crossbar_rows if model.granularity == "row" else crossbar_cols
        self.size = (crossbar_rows, crossbar_cols)
        self._crossbars: dict[tuple[int, int, int, int], int] = {}
        self._layout = Layout(sites) if isinstance(model, ClusterModel) else None
        if model.granularity in ("row", "column"):
            for site in sites:
                check_blocks(site)
            self._crossbars = crossbar_index(sites)

    @property
    def kind(self) -> StateKind:
        return "weight" if self.model.granularity == "weight" else "cell"

    def draw(self, rate: float, seed: int, chip: int) -> ChipFaults:
        """The fault map of chip `chip` of `seed` at `rate`."""
        rate = check_rate(rate)
        layers: dict[str, LayerFaults]
        if isinstance(self.model, ClusterModel):
            grids = self.cluster_states(rate, seed, chip)
            assert self._layout is not None  # built for cluster models
            layers = dict(self._layout.from_crossbars(grids, self.model.name)[0].layers)
        elif self.model.granularity in ("weight", "cell"):
            layers = {s.name: draw_independent(s, self.model, rate, seed, chip)
                      for s in self.sites}
        else:
            lines = self.line_states(rate, seed, chip)
            layers = {s.name: lines_to_faults(s, self._crossbars, lines, self.model.granularity)
                      for s in self.sites}
        return ChipFaults(self.kind, layers, self.model.name, rate, seed, chip)

    def cluster_states(self, rate: float, seed: int, chip: int
                       ) -> dict[tuple[int, int, int, int], np.ndarray]:
        """Clustered cell models only: the (rows, cols) states of every used crossbar."""
        if not isinstance(self.model, ClusterModel):
            raise ValueError("cluster states exist only for cluster fault models")
        assert self._layout is not None
        return draw_crossbars(self._layout.keys, self.model, check_rate(rate), *self.size,
                              seed, chip)

    def line_states(self, rate: float, seed: int, chip: int) -> np.ndarray:
        """Clustered models only: the (crossbars, lines) int8 states behind `draw`."""
        if self.model.granularity not in ("row", "column"):
            raise ValueError("line states exist only for row / column fault models")
        return draw_lines(self._crossbars, self.lines, self.model, check_rate(rate), seed, chip)

    @property
    def crossbars(self) -> dict[tuple[int, int, int, int], int]:
        """Clustered models: the used crossbars (chip, tile, ima, crossbar) -> line-state row."""
        return dict(self._crossbars)


def draw_chip(sites: tuple[FaultSite, ...], model: FaultModel, rate: float, seed: int, chip: int,
              crossbar_rows: int = 128, crossbar_cols: int = 128) -> ChipFaults:
    """One chip's fault map (convenience wrapper around `ChipDrawer`)."""
    return ChipDrawer(sites, model, crossbar_rows, crossbar_cols).draw(rate, seed, chip)
