"""Counted digital units of a tile or IMA (sigmoid, max-pool, shift-and-add): action `op`."""

from dataclasses import dataclass
from typing import Self

from archsim.config.hwparts import CountedUnitConfig
from archsim.hw.component import Component, common_fields


@dataclass(frozen=True)
class DigitalUnit(Component):
    count: int  # instances per tile or per IMA, as `name` says

    def op_time_s(self, ops: int) -> float:
        """Time for `ops` operations spread over all `count` units."""
        return ops * self.latency_s("op") / self.count

    @classmethod
    def from_unit(cls, name: str, unit: CountedUnitConfig) -> Self:
        return cls(**common_fields(name, unit), count=unit.count)
