"""The model zoo: what nets there are, their usual input, building one, and what one forward
pass of it measures."""

from collections.abc import Sequence
from dataclasses import dataclass

from archsim.nets import get_net, list_nets, net_info
from archsim.nets.registry import NetInfo, check_option_names

__all__ = [
    "NetFacts",
    "NetInfo",
    "check_option_names",
    "get_net",
    "list_nets",
    "net_facts",
    "net_info",
]


@dataclass(frozen=True, kw_only=True)
class NetFacts:
    """A zoo net at one width and input shape, as one forward pass measures it."""

    params: int
    macs: int  # per image
    weight_layers: int
    macs_1x1: int  # in 1x1 convolutions (the drop-connect paper's CPU layers)

    @property
    def macs_1x1_share(self) -> float:
        return self.macs_1x1 / self.macs if self.macs else 0.0


def net_facts(name: str, width: float, input_shape: Sequence[int]) -> NetFacts:
    """Zoo net `name` built at `width` (10 classes) and traced once at `input_shape`."""
    from archsim.mapping.mapper import trace_net

    net, specs = trace_net(name, width, input_shape, 10, {})
    return NetFacts(
        params=sum(p.numel() for p in net.parameters()),
        macs=sum(s.macs for s in specs),
        weight_layers=sum(1 for s in specs if s.is_weight_layer),
        macs_1x1=sum(s.macs for s in specs if s.kind == "conv" and s.kernel == (1, 1)),
    )
