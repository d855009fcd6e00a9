"""The row DACs (one per crossbar row): `row_drive` applies one input slice to one row."""

from dataclasses import dataclass

from archsim.config.hwschema import HardwareConfig
from archsim.hw.component import Component, common_fields


@dataclass(frozen=True)
class Dac(Component):
    bits: int  # input bits applied per crossbar cycle
    count_per_ima: int

    @classmethod
    def from_config(cls, hw: HardwareConfig) -> "Dac":
        return cls(
            **common_fields("ima.dac", hw.ima.dac),
            bits=hw.ima.dac.bits,
            count_per_ima=hw.dacs_per_ima,
        )
