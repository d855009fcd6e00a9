"""`MapOptions`: how a network is mapped, one record for `map_specs`, `map_model`, `map_net`,
the balancer (`archsim.perf.balance`) and `archsim map`.

What is mapped (the layers, the input shape, the model's name and width) and a zoo net's own
options (`map_net(net_options=...)`) are not in it, so a net option can never be read as a
mapping option.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from archsim.mapping.policy import Override
from archsim.mapping.replication import ReplicateScope


@dataclass(frozen=True, kw_only=True)
class MapOptions:
    """`policy` places layers (`archsim.mapping.policy`), `overrides` ("NAME=rram|cpu"
    strings or `Override`s) place single layers. `replicate` fills spare crossbars with
    copies of high-pixel layers to balance the pipeline, in `replicate_scope`: the chips the
    network occupies, "node", or a number of chips; left at None it takes the function's own
    default (a design point, `perf.balance.costed_mapping` and `api.design_point(s)`, is
    balanced; a plain mapping, `map_specs`/`map_model`/`map_net`, keeps one copy of each
    layer), so passing options for the policy alone never switches balancing off.
    `budget_tiles` provisions that many tiles instead of whole chips; `pack_imas` starts each
    layer on the next free crossbar instead of a fresh IMA; `allow_unsupported` maps a
    network with ops that have no mapping, leaving them out of every cost."""

    policy: str = "cpu-1x1"
    overrides: Sequence[str | Override] = ()
    replicate: bool | None = None
    replicate_scope: ReplicateScope | int = "used-chips"
    budget_tiles: int | None = None
    pack_imas: bool = False
    allow_unsupported: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", tuple(self.overrides))  # frozen: hashable

    def replicates(self, default: bool) -> bool:
        """Whether to replicate: `replicate`, or `default` where it was left at None."""
        return default if self.replicate is None else self.replicate
