"""ISAAC-style layer replication: copy early layers so the pipeline stages run in balance.

In a layer pipeline every layer does one matrix-vector product per output pixel, and a copy
(replica) of a layer's crossbars does one product per step. With `r_i` replicas, layer `i`
needs `ceil(p_i / r_i)` steps per image for its `p_i` output pixels, and the slowest layer
sets the pace. ISAAC therefore replicates layers in proportion to their output pixels. Here:
pick the smallest `q` (output pixels per replica per image, a real number) such that the
replicas `r_i = ceil(p_i / q)` fit the IMA budget, so every layer takes at most `q` steps per
image.
`q = max(p_i)` is the unreplicated mapping; `q = 1` gives one replica per output pixel.

The budget is a number of chips (`replication_budget_chips`), chosen by a scope:
`used-chips` (the default) is the chips the unreplicated network already occupies, so
replication fills spare crossbars but never adds a chip; `node` is every chip of the node, as
ISAAC replicates layers to fill the crossbars it has; an integer N is N chips. With a budget
of B crossbars and every layer busy q steps per image, the replicas hold about
sum(p_i x c_i) / q crossbars (c_i crossbars per replica), so q, the pipeline's time per image
in MVMs, is about the crossbar activations per image / B: it scales with the crossbar
activations (and so with the MACs, up to tiling granularity) until q reaches 1.
"""

import math
from collections.abc import Sequence
from typing import Literal, get_args

from archsim.errors import UserError

ReplicateScope = Literal["used-chips", "node"]
_ROUNDING = 1e-9  # p / q within this of an integer counts as that integer
SCOPES: tuple[str, ...] = get_args(ReplicateScope)


def imas_for(crossbars: int, crossbars_per_ima: int) -> int:
    """IMAs a layer occupies: each layer starts on a fresh IMA and fills it."""
    return math.ceil(crossbars / crossbars_per_ima)


def replicas_at(pixels_per_replica: float, output_pixels: Sequence[int]) -> list[int]:
    return [max(1, math.ceil(pixels / pixels_per_replica - _ROUNDING)) for pixels in output_pixels]


def _imas_at(
    pixels_per_replica: float,
    crossbars_per_replica: Sequence[int],
    output_pixels: Sequence[int],
    crossbars_per_ima: int,
) -> int:
    replicas = replicas_at(pixels_per_replica, output_pixels)
    return sum(
        imas_for(r * c, crossbars_per_ima)
        for r, c in zip(replicas, crossbars_per_replica, strict=True)
    )


def plan_replicas(
    crossbars_per_replica: Sequence[int],
    output_pixels: Sequence[int],
    crossbars_per_ima: int,
    ima_budget: int,
) -> list[int]:
    """Replicas per layer for the most balanced pipeline that fits `ima_budget` IMAs.

    q is a real number (a layer streams p / r MVM waves per image, so 1024 pixels on 300
    replicas take 3.41 MVM times): bisection over q, since the IMAs needed never grow as q
    grows, to a relative precision of 1e-9. If even one replica each does not fit, all get one.
    """
    if not output_pixels:
        return []
    low, high = 1.0, float(max(max(output_pixels), 1))
    if _imas_at(high, crossbars_per_replica, output_pixels, crossbars_per_ima) > ima_budget:
        return [1] * len(output_pixels)
    if _imas_at(low, crossbars_per_replica, output_pixels, crossbars_per_ima) <= ima_budget:
        return replicas_at(low, output_pixels)
    while high - low > 1e-9 * high:
        middle = (low + high) / 2
        if _imas_at(middle, crossbars_per_replica, output_pixels, crossbars_per_ima) <= ima_budget:
            high = middle
        else:
            low = middle
    return replicas_at(high, output_pixels)


def replication_budget_chips(scope: ReplicateScope | int, used_chips: int, node_chips: int) -> int:
    """Chips replication may fill: the used ones, the whole node, or `scope` chips.

    An integer must lie between the chips the unreplicated network needs and the node's.
    """
    if isinstance(scope, bool) or not isinstance(scope, int | str):
        raise UserError(f"replication scope must be {' or '.join(SCOPES)} or a chip count, "
                        f"got {scope!r}")  # fmt: skip
    if scope == "used-chips":
        return used_chips
    if scope == "node":
        return node_chips
    if isinstance(scope, str):
        raise UserError(f"replication scope must be {', '.join(SCOPES)} or a number of chips, "
                        f"got {scope!r}")  # fmt: skip
    if not used_chips <= scope <= node_chips:
        raise UserError(
            f"replication budget of {scope} chips must be between the {used_chips} the network "
            f"needs unreplicated and the node's {node_chips}"
        )
    return scope
