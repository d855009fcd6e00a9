"""Counted digital units of a tile (sigmoid lookup, max-pool; shift-and-add in shift_add.py):
action `op`, counted by the digital layers' plan (`archsim/perf/plan_other.py`)."""

from dataclasses import dataclass
from typing import Self

from archsim.config.blocks import block as config_block
from archsim.config.hwparts import CountedUnitConfig
from archsim.config.hwschema import HardwareConfig
from archsim.hw.component import ActionRef, Component, Datasheet
from archsim.hw.spec import ComponentSpec, Level, MvmRule

OP_NAME = "op"
SIGMOID_OP = ActionRef("tile.sigmoid", OP_NAME)
MAXPOOL_OP = ActionRef("tile.maxpool", OP_NAME)


@dataclass(frozen=True)
class DigitalUnit(Component):
    count: int  # instances per tile or per IMA, as `name` says

    @property
    def ops_per_s(self) -> float:
        """Ops per second of all `count` units together."""
        return self.count / self.latency_s(OP_NAME)

    @classmethod
    def from_unit(cls, name: str, unit: CountedUnitConfig) -> Self:
        return cls(sheet=Datasheet.of(name, unit), count=unit.count)


def unit_spec(
    cls: type[DigitalUnit], op: ActionRef, per_mvm: MvmRule | None = None
) -> ComponentSpec[DigitalUnit]:
    """The spec of a counted unit whose block is `section.key` of the op's component name."""
    section, key = op.component.split(".")

    def block(hw: HardwareConfig) -> CountedUnitConfig:
        return config_block(hw, section, key, CountedUnitConfig)

    level: Level = "ima" if section == "ima" else "tile"
    return ComponentSpec(
        name=op.component,
        level=level,
        block=CountedUnitConfig,
        build=lambda hw: cls.from_unit(op.component, block(hw)),
        actions=(op,),
        count=lambda hw: block(hw).count,
        per_mvm=() if per_mvm is None else ((op, per_mvm),),
    )


SIGMOID = unit_spec(DigitalUnit, SIGMOID_OP)
MAXPOOL = unit_spec(DigitalUnit, MAXPOOL_OP)
