"""Build the performance model's `PerfCosts` from a hardware description and `archsim/hw/`.

Every energy comes from a component's named action (per cell-cycle, per row drive, per
sample, per conversion, per op, or per bit for actions that move data), one entry per action
of every registered component (`archsim/hw/registry.py`), so no component's action can lack
a price; every rate from an action's latency; area and leakage from `hw.chip.chip_costs`.
Nothing is re-derived here.
"""

from typing import TypeAlias

from archsim.config.hwschema import HardwareConfig
from archsim.hw.adc import ADC
from archsim.hw.chip import chip_costs
from archsim.hw.cpu import CPU, CPU_LINK
from archsim.hw.digital import DigitalUnit
from archsim.hw.edram import ACCESS as EDRAM_ACCESS
from archsim.hw.edram import EDRAM
from archsim.hw.hypertransport import HYPERTRANSPORT
from archsim.hw.registry import specs
from archsim.hw.router import ROUTER
from archsim.hw.router import TRANSFER as ROUTER_TRANSFER
from archsim.perf.costs import PerfCosts

HardwareLike: TypeAlias = "HardwareConfig | PerfCosts | str"


def costs_from_hardware(hw: HardwareConfig) -> PerfCosts:
    chip = chip_costs(hw)
    c = chip.components
    # every action of every registered component, priced per action or per bit it moves
    energies = {ref.key: c.get(spec).price_j(ref) for spec in specs() for ref in spec.actions}
    # the tile's counted digital units (shift-and-add, sigmoid, max-pool) run digital layers
    tile_units = {
        spec.name: unit.ops_per_s
        for spec in specs()
        if spec.level == "tile" and isinstance(unit := c.get(spec), DigitalUnit)
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
        adc_sample_rate_hz=c.get(ADC).sample_rate_hz,
        tile_unit_ops_per_s=tile_units,
        edram_bandwidth_bps=c.get(EDRAM).bandwidth_bps(EDRAM_ACCESS),
        edram_bytes=float(c.get(EDRAM).size_bytes),
        router_bandwidth_bps=c.get(ROUTER).bandwidth_bps(ROUTER_TRANSFER),
        chip_link_bandwidth_bps=c.get(HYPERTRANSPORT).link_bandwidth_bps,
        cpu_mac_rate_per_s=c.get(CPU).macs_per_s,
        cpu_link_bandwidth_bps=c.get(CPU_LINK).link_bandwidth_bps,
        cpu_link_latency_s=c.get(CPU_LINK).setup_latency_s,
        action_energy_j=energies,
        tile_static_power_w=tile_static,
        chip_static_power_w=chip_static,
        tiles_per_chip=hw.chip.tiles,
        tile_area_mm2=chip.tile_area_mm2,
        chip_area_mm2=chip.area_mm2,
        unused_tiles_power_gated=hw.operation.unused_tiles_power_gated,
        unused_chips_power_gated=hw.operation.unused_chips_power_gated,
        unused_links_power_gated=hw.operation.unused_links_power_gated,
        chip_links=hw.chip.hypertransport.links,
        cpu_idle_power_w=hw.cpu.idle_power_w * hw.cpu.charged_share,
        cpu_area_mm2=hw.cpu.die_area_mm2 * hw.cpu.charged_share,
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
