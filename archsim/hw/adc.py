"""The IMA's analog-to-digital converters: `conversion` digitises one column sample."""

from dataclasses import dataclass

from archsim.config.hwparts import AdcConfig
from archsim.config.hwschema import HardwareConfig
from archsim.hw.component import ActionRef, Component, Datasheet
from archsim.hw.spec import ComponentSpec

CONVERSION = ActionRef("ima.adc", "conversion")


@dataclass(frozen=True)
class Adc(Component):
    bits: int
    sample_rate_hz: float

    def conversion_time_s(self, samples: int, adcs: int = 1) -> float:
        """Time for `adcs` converters sharing `samples` column samples evenly."""
        return samples / (adcs * self.sample_rate_hz)

    @classmethod
    def from_config(cls, hw: HardwareConfig) -> "Adc":
        adc = hw.ima.adc
        return cls(
            sheet=Datasheet.of(ADC.name, adc),
            bits=adc.bits,
            sample_rate_hz=adc.sample_rate_gsps * 1e9,
        )


ADC = ComponentSpec(
    name="ima.adc",
    level="ima",
    block=AdcConfig,
    build=Adc.from_config,
    actions=(CONVERSION,),
    count=lambda hw: hw.ima.adc.count,
    per_mvm=((CONVERSION, lambda w: w.cycles * w.cols),),  # one per column sample
)
