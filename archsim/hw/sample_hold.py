"""Sample-and-hold circuits (one per crossbar column): `sample` captures one column output."""

from dataclasses import dataclass

from archsim.config.hwschema import HardwareConfig
from archsim.hw.component import Component, common_fields


@dataclass(frozen=True)
class SampleHold(Component):
    count_per_ima: int

    @classmethod
    def from_config(cls, hw: HardwareConfig) -> "SampleHold":
        return cls(
            **common_fields("ima.sample_hold", hw.ima.sample_hold),
            count_per_ima=hw.sample_holds_per_ima,
        )
