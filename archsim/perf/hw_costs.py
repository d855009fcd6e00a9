"""Build the performance model's `PerfCosts` from a hardware description and `archsim/hw/`.

Every energy comes from a component's named action (per cell-cycle, per row drive, per
sample, per conversion, per op, or per bit for actions that move data); every rate from an
action's latency; area and leakage from `hw.chip.chip_costs`. Nothing is re-derived here.
"""

from typing import TypeAlias

from archsim.config.hwschema import HardwareConfig
from archsim.hw.chip import chip_costs
from archsim.hw.digital import DigitalUnit
from archsim.perf.costs import PerfCosts

HardwareLike: TypeAlias = "HardwareConfig | PerfCosts | str"


def _unit_rate(unit: DigitalUnit) -> float:
    """Ops per second of all `count` units together."""
    return unit.count / unit.latency_s("op")


def costs_from_hardware(hw: HardwareConfig) -> PerfCosts:
    chip = chip_costs(hw)
    c = chip.components
    energies = {
        "crossbar/read": c.crossbar.energy_j("read"),
        "ima.dac/row_drive": c.dac.energy_j("row_drive"),
        "ima.sample_hold/sample": c.sample_hold.energy_j("sample"),
        "ima.adc/conversion": c.adc.energy_j("conversion"),
        "ima.shift_add/op": c.ima_shift_add.energy_j("op"),
        "ima.input_register/bit": c.input_register.energy_per_bit_j("access"),
        "ima.output_register/bit": c.ima_output_register.energy_per_bit_j("access"),
        "tile.edram/bit": c.edram.energy_per_bit_j("access"),
        "tile.bus/bit": c.bus.energy_per_bit_j("transfer"),
        "tile.router/bit": c.router.energy_per_bit_j("transfer"),
        "tile.output_register/bit": c.tile_output_register.energy_per_bit_j("access"),
        "tile.shift_add/op": c.tile_shift_add.energy_j("op"),
        "tile.sigmoid/op": c.sigmoid.energy_j("op"),
        "tile.maxpool/op": c.maxpool.energy_j("op"),
        "chip.hypertransport/bit": c.hypertransport.energy_per_bit_j("transfer"),
        "cpu/mac": c.cpu.energy_j("mac"),
        "cpu.link/bit": c.cpu.link.energy_per_bit_j("transfer"),
    }
    tile_static: dict[str, float] = {}
    chip_static: dict[str, float] = {}
    for part in chip.parts:
        table = chip_static if part.level == "chip" else tile_static
        per_tile = part.count * (hw.tile.imas if part.level == "ima" else 1)
        table[part.component.name] = per_tile * part.component.leakage_power_w
    notes = [
        f"{hw.name}: outputs and partial sums move as {hw.precision.input_bits}-bit values "
        "(the next layer's input precision)"
    ]
    if sum(tile_static.values()) + sum(chip_static.values()) == 0:
        notes.append(f"{hw.name}: every component's static power is 0 W (all power is per "
                     "action)")  # fmt: skip
    return PerfCosts(
        hardware=hw.name,
        crossbar_cycle_s=chip.crossbar_cycle_s,
        input_cycles=chip.input_cycles,
        input_bits=hw.precision.input_bits,
        output_bits=hw.precision.input_bits,
        adcs_per_ima=hw.ima.adc.count,
        adc_sample_rate_hz=c.adc.sample_rate_hz,
        tile_unit_ops_per_s={
            "tile.shift_add": _unit_rate(c.tile_shift_add),
            "tile.sigmoid": _unit_rate(c.sigmoid),
            "tile.maxpool": _unit_rate(c.maxpool),
        },
        edram_bandwidth_bps=c.edram.bandwidth_bps("access"),
        router_bandwidth_bps=c.router.bandwidth_bps("transfer"),
        chip_link_bandwidth_bps=c.hypertransport.link_bandwidth_bps,
        cpu_mac_rate_per_s=c.cpu.macs_per_s,
        cpu_link_bandwidth_bps=c.cpu.link.link_bandwidth_bps,
        cpu_link_latency_s=c.cpu.link.setup_latency_s,
        action_energy_j=energies,
        tile_static_power_w=tile_static,
        chip_static_power_w=chip_static,
        tiles_per_chip=hw.chip.tiles,
        tile_area_mm2=chip.tile_area_mm2,
        chip_area_mm2=chip.area_mm2,
        unused_tiles_power_gated=hw.operation.unused_tiles_power_gated,
        unused_chips_power_gated=hw.operation.unused_chips_power_gated,
        cpu_idle_power_w=hw.cpu.idle_power_w if hw.cpu.dedicated else 0.0,
        batchnorm_folded=hw.operation.batchnorm == "folded",
        notes=tuple(notes),
    )


def as_costs(hw: HardwareLike) -> PerfCosts:
    """A cost table from a `PerfCosts`, a `HardwareConfig`, or a hardware name/path."""
    if isinstance(hw, PerfCosts):
        return hw
    if isinstance(hw, str):
        from archsim.config.hardware import load_hardware

        hw = load_hardware(hw)
    return costs_from_hardware(hw)
