"""Shift-and-add units: merge bit-sliced partial sums (IMA) and row blocks (tile)."""

from dataclasses import dataclass

from archsim.config.hwschema import HardwareConfig
from archsim.hw.digital import DigitalUnit


@dataclass(frozen=True)
class ShiftAdd(DigitalUnit):
    @classmethod
    def ima(cls, hw: HardwareConfig) -> "ShiftAdd":
        return cls.from_unit("ima.shift_add", hw.ima.shift_add)

    @classmethod
    def tile(cls, hw: HardwareConfig) -> "ShiftAdd":
        return cls.from_unit("tile.shift_add", hw.tile.shift_add)
