"""The mesh router shared by several tiles: `transfer` moves one packet of `bits` bits."""

from dataclasses import dataclass

from archsim.config.hwschema import HardwareConfig
from archsim.hw.component import Component, common_fields


@dataclass(frozen=True)
class Router(Component):
    tiles_per_router: int
    flit_bits: int
    ports: int

    def transfer_time_s(self, bits: int, hops: int = 1) -> float:
        """Serialisation of `bits` through `hops` routers, one packet after another."""
        return hops * self.actions_for_bits("transfer", bits) * self.latency_s("transfer")

    def transfer_energy_j(self, bits: int, hops: int = 1) -> float:
        return hops * self.energy_j("transfer", self.actions_for_bits("transfer", bits))

    @classmethod
    def from_config(cls, hw: HardwareConfig) -> "Router":
        router = hw.tile.router
        return cls(
            **common_fields("tile.router", router),
            tiles_per_router=router.tiles_per_router,
            flit_bits=router.flit_bits,
            ports=router.ports,
        )
