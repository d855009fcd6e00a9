"""Event grain: a layer's output rows cut into at most `max_groups` groups of whole rows.

ISAAC streams a layer row by row: the next layer starts an output row as soon as the input
rows of its receptive field (kernel height, stride, padding) are in its eDRAM buffer. The
simulation keeps that dependency at the grain of groups of output rows. A layer with more rows
than `max_groups` puts ceil(rows / max_groups) rows in each group, so big layers cost a bounded
number of events; the grouping only coarsens when a dependency is released (a group is ready
when its last row's receptive field is ready), never the totals: every pixel, MAC and bit is
counted once.
"""

import bisect
import math

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


def input_rows_needed(spec: LayerSpec, out_rows_end: int) -> int:
    """How many input rows (from the top) output rows [0, out_rows_end) read.

    Uses kernel height, stride and padding when they reproduce the layer's output height;
    otherwise (adaptive pooling, reshapes) assumes rows map proportionally. A flat input is
    one row.
    """
    if len(spec.in_shape) != 3:
        return 1
    in_rows = spec.in_shape[1]
    out_rows, _ = output_rows(spec.out_shape)
    if len(spec.out_shape) != 3:
        return in_rows
    kernel, stride, pad = spec.kernel[0], spec.stride[0], spec.padding[0]
    if (in_rows + 2 * pad - kernel) // stride + 1 == out_rows:
        last = (out_rows_end - 1) * stride + kernel - 1 - pad
        return max(1, min(in_rows, last + 1))
    return min(in_rows, math.ceil(out_rows_end * in_rows / out_rows))


def producer_group_needed(
    spec: LayerSpec, out_rows_end: int, producer: LayerSpec, producer_ends: tuple[int, ...]
) -> int:
    """Index of the producer's group that must be done before rows [0, out_rows_end) can start.

    When the producer's output is not this layer's input (a shortcut branch simulated in the
    chain, see plan.py) its rows are matched at the same fraction of the tensor.
    """
    needed = input_rows_needed(spec, out_rows_end)
    producer_rows = producer_ends[-1]
    if len(spec.in_shape) != 3:
        needed = producer_rows  # a flat input (after a reshape) needs all of it
    elif producer_rows != spec.in_shape[1]:
        needed = math.ceil(needed * producer_rows / spec.in_shape[1])
    return bisect.bisect_left(producer_ends, needed)
