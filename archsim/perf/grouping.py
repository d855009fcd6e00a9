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

from archsim.mapping.dealing import DEFAULT_MAX_GROUPS, group_rows, output_rows
from archsim.mapping.records import LayerSpec

__all__ = ["DEFAULT_MAX_GROUPS", "group_rows", "output_rows"]


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
