"""The RRAM crossbar array: `read` is one cell taking part in one crossbar cycle."""

from dataclasses import dataclass

from archsim.config.hwparts import CrossbarConfig
from archsim.config.hwschema import HardwareConfig
from archsim.hw.component import ActionRef, Component, Datasheet
from archsim.hw.spec import ComponentSpec

READ = ActionRef("crossbar", "read")


@dataclass(frozen=True)
class Crossbar(Component):
    rows: int
    cols: int
    bits_per_cell: int
    cycle_s: float
    encoding: str

    @property
    def cells(self) -> int:
        return self.rows * self.cols

    @classmethod
    def from_config(cls, hw: HardwareConfig) -> "Crossbar":
        xbar = hw.crossbar
        return cls(
            sheet=Datasheet.of(CROSSBAR.name, xbar),
            rows=xbar.rows,
            cols=xbar.cols,
            bits_per_cell=xbar.bits_per_cell,
            cycle_s=xbar.cycle_ns * 1e-9,
            encoding=xbar.encoding,
        )


CROSSBAR = ComponentSpec(
    name="crossbar",
    level="ima",
    block=CrossbarConfig,
    build=Crossbar.from_config,
    actions=(READ,),
    count=lambda hw: hw.ima.crossbars,
    per_mvm=((READ, lambda w: w.cycles * w.cells),),
)
