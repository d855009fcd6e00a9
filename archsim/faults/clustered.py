"""Spatially clustered cell faults: defects that come in row lines, column lines or blobs.

Measured RRAM defect maps are not uniform: forming failures and process defects take out runs
of cells along a word or bit line and patches of neighbouring cells. This model draws, on every
crossbar the mapping uses, a Poisson number of clusters, each a `height x width` rectangle of
cells (a blob: `size x size`; a row line: 1 x `size`; a column line: `size` x 1) with one
state for all its cells (stuck-on with the model's p_on, else stuck-off).

Positions: a cluster's top-left corner is uniform over [-(h-1), rows-1] x [-(w-1), cols-1]
and the cluster is clipped to the crossbar, so every cell is covered by the same number of
possible positions (no edge bias). With lambda clusters per crossbar each cell is faulty with
probability 1 - exp(-lambda h w / ((rows+h-1)(cols+w-1))); lambda is set so that this is
`rate`, the expected fraction of faulty cells, as for the uniform `cell` model: the two
compare at equal defect density. Overlapping clusters merge (a later one's state wins).

Clustering statistic (`mean_cluster_size`): the mean size of the 4-connected components of
faulty cells that do not touch the crossbar's edge (edge clusters are clipped). For isolated
clusters it is h x w exactly: the cluster-size parameter squared for blobs, the parameter for
lines; a uniform map gives about 1 at low rates. The tests check it against the parameter.

Streams: one numpy generator per (seed, chip, crossbar), as for row / column faults.
`ClusterFaults` is the `cluster` mechanism (`mechanisms.py`): not sampled during training.
"""

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import ndimage

from archsim.errors import UserError
from archsim.faults.draw import draw_kinds, unit_rng
from archsim.faults.mechanism import Drawing, Mechanism
from archsim.faults.models import OK, FaultModel
from archsim.faults.physical import Layout, XbarKey
from archsim.faults.records import LayerFaults, StateKind
from archsim.faults.sites import FaultSite, Sites

SHAPES = ("blob", "row-line", "column-line")


@dataclass(frozen=True)
class ClusterModel(FaultModel):
    """A `cluster` granularity fault model: the cluster shape and its size parameter."""

    shape: str = "blob"
    size: int = 4

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.shape not in SHAPES:
            raise UserError(f"cluster shape must be one of {', '.join(SHAPES)}, got "
                            f"{self.shape!r}")  # fmt: skip
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 1:
            raise UserError(f"cluster size must be an integer >= 1, got {self.size!r}")

    @property
    def extent(self) -> tuple[int, int]:
        """(height, width) of one cluster in cells."""
        return {"blob": (self.size, self.size), "row-line": (1, self.size),
                "column-line": (self.size, 1)}[self.shape]  # fmt: skip


def clusters_per_crossbar(model: ClusterModel, rate: float, rows: int, cols: int) -> float:
    """Poisson mean of clusters per crossbar giving an expected faulty fraction `rate`."""
    h, w = model.extent
    return -(rows + h - 1) * (cols + w - 1) / (h * w) * math.log1p(-rate)


def draw_crossbar(
    model: ClusterModel, rate: float, rows: int, cols: int, rng: np.random.Generator
) -> np.ndarray:
    """(rows, cols) int8 states of one crossbar."""
    grid = np.full((rows, cols), OK, dtype=np.int8)
    if rate <= 0:
        return grid
    if rate >= 1:
        return draw_kinds(rng, rows * cols, model.p_on).reshape(rows, cols)
    h, w = model.extent
    count = int(rng.poisson(clusters_per_crossbar(model, rate, rows, cols)))
    tops = rng.integers(-(h - 1), rows, size=count)
    lefts = rng.integers(-(w - 1), cols, size=count)
    kinds = draw_kinds(rng, count, model.p_on)
    r = (tops[:, None, None] + np.arange(h)[None, :, None]).repeat(w, axis=2)
    c = (lefts[:, None, None] + np.arange(w)[None, None, :]).repeat(h, axis=1)
    k = np.broadcast_to(kinds[:, None, None], r.shape)
    inside = (r >= 0) & (r < rows) & (c >= 0) & (c < cols)
    grid[r[inside], c[inside]] = k[inside]
    return grid


def draw_crossbars(
    crossbars: list[XbarKey],
    model: ClusterModel,
    rate: float,
    rows: int,
    cols: int,
    seed: int,
    chip: int,
) -> dict[XbarKey, np.ndarray]:
    """The states of every listed crossbar of chip `chip` (one stream per crossbar)."""
    return {
        key: draw_crossbar(
            model,
            rate,
            rows,
            cols,
            unit_rng(
                seed, chip, f"cluster:{model.shape}:{model.size}:xbar{'.'.join(map(str, key))}"
            ),
        )
        for key in crossbars
    }


def cluster_sizes(grid: np.ndarray) -> np.ndarray:
    """Sizes of the 4-connected components of faulty cells not touching the grid's edge."""
    labels, count = ndimage.label(grid != OK)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    sizes = np.bincount(labels.reshape(-1), minlength=count + 1)[1:]
    edge = np.unique(np.concatenate((labels[0], labels[-1], labels[:, 0], labels[:, -1])))
    keep = np.ones(count, dtype=bool)
    keep[edge[edge > 0] - 1] = False
    return sizes[keep]


def mean_cluster_size(grids: list[np.ndarray]) -> float:
    """The clustering statistic over several crossbars (nan when no interior cluster)."""
    sizes = np.concatenate([cluster_sizes(g) for g in grids]) if grids else np.zeros(0)
    return float(sizes.mean()) if sizes.size else float("nan")


class ClusterDrawing:
    """Clustered faults on the crossbars a set of sites uses."""

    def __init__(
        self, sites: tuple[FaultSite, ...], model: ClusterModel, rows: int, cols: int
    ) -> None:
        self.model, self.size, self.layout = model, (rows, cols), Layout(sites)

    def cluster_states(self, rate: float, seed: int, chip: int) -> dict[XbarKey, np.ndarray]:
        """The (rows, cols) states of every used crossbar behind `draw`."""
        return draw_crossbars(self.layout.keys, self.model, rate, *self.size, seed, chip)

    def draw(self, rate: float, seed: int, chip: int) -> dict[str, LayerFaults]:
        grids = self.cluster_states(rate, seed, chip)
        return dict(self.layout.from_crossbars(grids, self.model.name)[0].layers)


class ClusterFaults(Mechanism):
    """`cluster`: cells faulty in row lines, column lines or blobs (a `ClusterModel`)."""

    granularity: ClassVar[str] = "cluster"
    kind: ClassVar[StateKind] = "cell"

    def prepare(self, sites: Sites, model: FaultModel, rows: int, cols: int) -> Drawing:
        if not isinstance(model, ClusterModel):
            raise UserError(f"fault model {model.name!r}: cluster faults need a cluster shape "
                            "and size (a ClusterModel)")  # fmt: skip
        return ClusterDrawing(sites, model, rows, cols)
