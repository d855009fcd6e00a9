"""Which replica computes which output pixel: the dealing the pipeline and the faults share.

A layer's output rows are cut into at most `max_groups` groups of whole rows (the event
grain of the performance model, `perf/grouping.py`). A layer with R replicas works on
L = `lane_count` groups at once: replica r serves lane r % L, and groups are dealt to lanes
round robin, continuing from image to image (global group n = image x G + g goes to lane
n % L, `perf/stages.Stage.lane_of`). Within a lane its replicas share the pixels: the j-th
pixel a lane receives (counted from the first image of an evaluation, pixels of a group in
row-major order) goes to the lane's replica j % k, k the replicas of the lane (replica
lane + L x (j % k)). So every output pixel is computed by exactly one replica, a lane's
replicas compute equal shares to within one pixel (the performance model's fluid waves of
R / L pixels a wave), and a replica's faults touch exactly the pixels this dealing gives it
(`faults/replicas.py`).

The pixels a lane received before a group follow in closed form: the groups' sizes repeat
every lcm(G, L) global groups, so one table of partial sums over that period (at most
32 x 32 entries) gives them for any image, without walking the evaluation from its start.
"""

import math
from dataclasses import dataclass

import numpy as np

from archsim.mapping.records import LayerSpec

DEFAULT_MAX_GROUPS = 32


def output_rows(shape: tuple[int, ...]) -> tuple[int, int]:
    """(rows, pixels per row) of an activation: (C, H, W) has H rows of W; a token sequence
    (N, D) has N rows of one position (a token) each; flat is 1 row of 1."""
    if len(shape) == 3:
        return shape[1], shape[2]
    if len(shape) == 2:
        return shape[0], 1
    return 1, 1


def group_rows(spec: LayerSpec, max_groups: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(exclusive end row, pixels) of each group of `spec`'s output rows."""
    rows, width = output_rows(spec.out_shape)
    per_group = math.ceil(rows / max_groups)
    ends = tuple(min(rows, start + per_group) for start in range(0, rows, per_group))
    starts = (0, *ends[:-1])
    return ends, tuple((end - start) * width for start, end in zip(starts, ends, strict=True))


def lane_count(replicas: int, group_pixels: tuple[int, ...]) -> int:
    """Groups a layer works on at once: enough to keep its replicas busy, at most all."""
    return max(1, min(math.ceil(replicas / max(group_pixels)), len(group_pixels)))


@dataclass(frozen=True, kw_only=True, eq=False)
class Dealing:
    """The dealing of one layer's pixels over its replicas (see the module doc)."""

    replicas: int
    group_pixels: tuple[int, ...]
    lanes: int
    before: np.ndarray  # (lanes, groups a lane gets per period): its pixels before each
    per_period: np.ndarray  # (lanes,): pixels a lane gets per period

    @classmethod
    def of(cls, replicas: int, group_pixels: tuple[int, ...]) -> "Dealing":
        lanes = lane_count(replicas, group_pixels)
        period = math.lcm(len(group_pixels), lanes)  # global groups
        sizes = np.tile(np.asarray(group_pixels, dtype=np.int64), period // len(group_pixels))
        mine = sizes.reshape(period // lanes, lanes).T  # lane l's groups in order
        before = np.cumsum(mine, axis=1) - mine
        return cls(replicas=replicas, group_pixels=group_pixels, lanes=lanes, before=before,
                   per_period=mine.sum(axis=1))  # fmt: skip

    def _lane_pixels(self, n: np.ndarray) -> np.ndarray:
        """Pixels the lane of global group n received before it."""
        lane, m = n % self.lanes, n // self.lanes
        rounds, at = np.divmod(m, self.before.shape[1])
        pixels: np.ndarray = rounds * self.per_period[lane] + self.before[lane, at]
        return pixels

    def _dealt(self, first_image: int, images: int) -> tuple[np.ndarray, ...]:
        """(lane, j: the lane's count, k: the lane's replicas) of every pixel: j is
        (images, pixels); lane and k per group, (images, pixels) by broadcasting `spread`."""
        pixels = np.asarray(self.group_pixels, dtype=np.int64)
        groups, lanes = len(pixels), self.lanes
        image = np.arange(first_image, first_image + images, dtype=np.int64)[:, None]
        n = image * groups + np.arange(groups, dtype=np.int64)[None, :]  # global groups
        lane = n % lanes
        share = (self.replicas - lane + lanes - 1) // lanes  # replicas of the group's lane
        within = np.arange(int(pixels.sum()), dtype=np.int64) - np.repeat(
            np.cumsum(pixels) - pixels, pixels
        )
        j = np.repeat(self._lane_pixels(n), pixels, axis=1) + within[None, :]
        return np.repeat(lane, pixels, axis=1), j, np.repeat(share, pixels, axis=1)

    def replicas_of(self, first_image: int, images: int) -> np.ndarray:
        """(images, pixels per image): the replica computing each output pixel of images
        `first_image` .. `first_image + images - 1` of an evaluation (pixels row-major)."""
        lane, j, share = self._dealt(first_image, images)
        replica: np.ndarray = lane + self.lanes * (j % share)
        return replica

    def slots(self, first_image: int, images: int) -> tuple[np.ndarray, int]:
        """(slot of each pixel of those images, flat and in evaluation order; slots per
        replica): slot = replica x share + rank, rank counting the replica's earlier pixels
        among those images, so every replica's pixels fill a row of a (replicas, share)
        table in order. Closed form, no sort."""
        lanes, groups = self.lanes, len(self.group_pixels)
        lane, j, share = self._dealt(first_image, images)
        member = j % share
        # each lane's count at the first of these images: its first group from there on
        first = first_image * groups + (np.arange(lanes) - first_image * groups) % lanes
        start = self._lane_pixels(first)[lane]
        rank = (j - member) // share - (start - member + share - 1) // share
        most = int(rank.max()) + 1
        return ((lane + lanes * member) * most + rank).reshape(-1), most
