"""The IMA's analog-to-digital converters: `conversion` digitises one column sample."""

from dataclasses import dataclass

from archsim.config.hwschema import HardwareConfig
from archsim.hw.component import Component, common_fields


@dataclass(frozen=True)
class Adc(Component):
    count_per_ima: int
    bits: int
    sample_rate_hz: float

    def conversion_time_s(self, samples: int, adcs: int = 1) -> float:
        """Time for `adcs` converters sharing `samples` column samples evenly."""
        return samples / (adcs * self.sample_rate_hz)

    @classmethod
    def from_config(cls, hw: HardwareConfig) -> "Adc":
        adc = hw.ima.adc
        return cls(
            **common_fields("ima.adc", adc),
            count_per_ima=adc.count,
            bits=adc.bits,
            sample_rate_hz=adc.sample_rate_gsps * 1e9,
        )
