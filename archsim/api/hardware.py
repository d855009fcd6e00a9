"""Hardware descriptions: find, load and check them, and what a chip of one costs (with the
component specs a caller reads its parts by, e.g. `CPU`)."""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from archsim.config.hardware import (
    HardwareConfig,
    hardware_file,
    list_hardware,
    load_hardware,
    resolve_hardware,
)
from archsim.config.powercheck import PowerCheck
from archsim.hw.chip import ChipCosts, PartCost, chip_costs
from archsim.hw.cpu import CPU
from archsim.hw.precision import AdcRange, adc_range

if TYPE_CHECKING:
    from archsim.perf.cpu_measure import CpuMeasurement

__all__ = [
    "CPU",
    "AdcRange",
    "ChipCosts",
    "HardwareConfig",
    "PartCost",
    "PowerCheck",
    "adc_range",
    "calibrate_cpu",
    "chip_costs",
    "hardware_file",
    "list_hardware",
    "load_hardware",
    "resolve_hardware",
]


def calibrate_cpu(
    model: str,
    width: float,
    hw: str,
    *,
    policy: str = "cpu-1x1",
    net_options: Mapping[str, Any] | None = None,
    repeats: int = 20,
    threads: int | None = None,
) -> tuple["CpuMeasurement", dict[str, Any]]:
    """Time the CPU-routed layers of `model` at `width` mapped on `hw` under `policy` on this
    machine; the measurement and a hardware file (`base: hw` + a measured `cpu:` block)."""
    from archsim.mapping.mapper import map_net
    from archsim.mapping.options import MapOptions
    from archsim.perf.cpu_measure import cpu_layers, cpu_overlay, default_threads, time_cpu_layers

    base = load_hardware(hw)
    mapping = map_net(model, width, base, options=MapOptions(policy=policy),
                      net_options=dict(net_options or {}))  # fmt: skip
    measured = time_cpu_layers(cpu_layers(mapping), repeats, threads or default_threads())
    return measured, cpu_overlay(base, measured, f"{base.name}-cpu-measured")
