"""The mesh router shared by several tiles: `transfer` moves one packet of `bits` bits."""

from dataclasses import dataclass

from archsim.config.hwparts import RouterConfig
from archsim.config.hwschema import HardwareConfig
from archsim.hw.component import ActionRef, Component, Datasheet
from archsim.hw.spec import ComponentSpec

TRANSFER = ActionRef("tile.router", "transfer", per_bit=True)


@dataclass(frozen=True)
class Router(Component):
    tiles_per_router: int
    flit_bits: int
    ports: int

    @classmethod
    def from_config(cls, hw: HardwareConfig) -> "Router":
        router = hw.tile.router
        return cls(
            sheet=Datasheet.of(ROUTER.name, router),
            tiles_per_router=router.tiles_per_router,
            flit_bits=router.flit_bits,
            ports=router.ports,
        )


ROUTER = ComponentSpec(
    name="tile.router",
    level="tile",
    block=RouterConfig,
    build=Router.from_config,
    actions=(TRANSFER,),
    # routers are shared: a tile carries its share, the chip has whole routers
    count=lambda hw: 1 / hw.tile.router.tiles_per_router,
    per_chip=lambda hw: hw.routers_per_chip,
    per_mvm=((TRANSFER, lambda w: w.router_bits),),
)
