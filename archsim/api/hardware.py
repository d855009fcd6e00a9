"""Hardware descriptions: find, load and check them, and what a chip of one costs (with the
component specs a caller reads its parts by, e.g. `CPU`)."""

from archsim.config.hardware import HardwareConfig, list_hardware, load_hardware, resolve_hardware
from archsim.config.powercheck import PowerCheck, power_checks
from archsim.hw.chip import ChipCosts, PartCost, chip_costs
from archsim.hw.cpu import CPU
from archsim.hw.precision import AdcRange, adc_range

__all__ = [
    "CPU",
    "AdcRange",
    "ChipCosts",
    "HardwareConfig",
    "PartCost",
    "PowerCheck",
    "adc_range",
    "chip_costs",
    "list_hardware",
    "load_hardware",
    "power_checks",
    "resolve_hardware",
]
