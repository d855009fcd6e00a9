"""Compose components into IMA -> tile -> chip -> node totals and the chip's peak rate.

For ISAAC these reproduce its Table 2 (docs/validation.md s.2): IMA 24.08 mW (x12 = 289 mW,
0.157 mm^2), tile 329.8 mW and 0.372 mm^2, chip 65.8 W and 85.4 mm^2, peak 41.3 TOPS at 16 bits.

Peak rate: every crossbar of the chip computes `rows x weights_per_row` MACs per input, and
an input takes `input_cycles` crossbar cycles. A cycle lasts the crossbar's read time, or
longer when the IMA's ADCs cannot convert, within it, all columns its full crossbars read (the
weights' cells and the offset encoding's unit column: 129 for ISAAC, 100.78 ns at 1.28 GS/s).
"""

import math
from dataclasses import dataclass

from archsim.config.hwschema import HardwareConfig
from archsim.hw.adc import ADC
from archsim.hw.catalog import ComponentSet, build_components
from archsim.hw.component import Component
from archsim.hw.crossbar import CROSSBAR
from archsim.hw.registry import specs

# An ADC time that equals the crossbar cycle up to float round-off is not a bottleneck.
_SAME_TIME_REL = 1e-9


@dataclass(frozen=True)
class PartCost:
    """One component kind at one level, with its instance counts."""

    level: str  # "ima" | "tile" | "chip" (the component spec's level)
    component: Component
    count: float  # instances per IMA / tile / chip; the router's share per tile is fractional
    per_chip: int  # instances on one chip

    @property
    def power_w(self) -> float:
        """Power of the `count` instances in one unit of `level`."""
        return self.count * self.component.power_w

    @property
    def area_mm2(self) -> float:
        return self.count * self.component.area_mm2

    @property
    def leakage_power_w(self) -> float:
        return self.count * self.component.leakage_power_w


@dataclass(frozen=True)
class ChipCosts:
    """What the performance model needs to cost a mapping on one chip."""

    hardware: str
    components: ComponentSet
    parts: tuple[PartCost, ...]
    crossbars_per_ima: int
    imas_per_tile: int
    tiles_per_chip: int
    routers_per_chip: int
    crossbars_per_chip: int
    weight_bits: int
    input_bits: int
    cells_per_weight: int
    weights_per_row: int
    input_cycles: int
    crossbar_cycle_s: float
    adc_time_per_cycle_s: float  # ADC time to convert every column of an IMA's crossbars
    effective_cycle_s: float  # max of the two: the ADCs may bound the cycle
    ima_power_w: float
    ima_area_mm2: float
    tile_power_w: float  # one tile including its share of a router
    tile_area_mm2: float
    power_w: float
    area_mm2: float
    leakage_power_w: float
    peak_macs_per_s: float

    @property
    def adc_bound(self) -> bool:
        return self.effective_cycle_s > self.crossbar_cycle_s

    @property
    def peak_ops_per_s(self) -> float:
        """One MAC counts as two operations (multiply and add), as ISAAC counts them."""
        return 2 * self.peak_macs_per_s

    @property
    def peak_tops(self) -> float:
        return self.peak_ops_per_s / 1e12

    @property
    def gops_per_w(self) -> float:
        return self.peak_ops_per_s / 1e9 / self.power_w

    @property
    def gops_per_s_per_mm2(self) -> float:
        return self.peak_ops_per_s / 1e9 / self.area_mm2

    def part(self, name: str) -> PartCost:
        """The part whose component is named `name` (e.g. "ima.adc")."""
        for part in self.parts:
            if part.component.name == name:
                return part
        raise KeyError(f"no part '{name}' in {self.hardware}")


@dataclass(frozen=True)
class NodeCosts:
    """A node of identical chips (the host CPU's costs are the `cpu` block's, `hw/cpu.py`)."""

    chip: ChipCosts
    chips: int

    @property
    def power_w(self) -> float:
        return self.chips * self.chip.power_w

    @property
    def area_mm2(self) -> float:
        return self.chips * self.chip.area_mm2

    @property
    def peak_macs_per_s(self) -> float:
        return self.chips * self.chip.peak_macs_per_s

    @property
    def peak_ops_per_s(self) -> float:
        return 2 * self.peak_macs_per_s

    @property
    def crossbars(self) -> int:
        return self.chips * self.chip.crossbars_per_chip


def _parts(hw: HardwareConfig, c: ComponentSet) -> tuple[PartCost, ...]:
    """One part per registered component on the chip, in registry order."""
    return tuple(
        PartCost(spec.level, c.get(spec), spec.count(hw), spec.instances_per_chip(hw))
        for spec in specs()
        if spec.level != "host"
    )


def chip_costs(hw: HardwareConfig) -> ChipCosts:
    """Per-chip totals, counts and peak rate of a hardware description."""
    components = build_components(hw)
    parts = _parts(hw, components)
    ima = [p for p in parts if p.level == "ima"]
    tile = [p for p in parts if p.level == "tile"]
    ima_power = sum(p.power_w for p in ima)
    ima_area = sum(p.area_mm2 for p in ima)
    cycle = components.get(CROSSBAR).cycle_s
    # the ADCs convert every column a full crossbar reads (ISAAC: 128 + its unit column)
    samples = hw.ima.crossbars * hw.columns_read
    adc_time = components.get(ADC).conversion_time_s(samples, hw.ima.adc.count)
    effective = cycle if adc_time <= cycle * (1 + _SAME_TIME_REL) else adc_time
    macs_per_input = hw.crossbars_per_chip * hw.crossbar.rows * hw.weights_per_row
    return ChipCosts(
        hardware=hw.name,
        components=components,
        parts=parts,
        crossbars_per_ima=hw.ima.crossbars,
        imas_per_tile=hw.tile.imas,
        tiles_per_chip=hw.chip.tiles,
        routers_per_chip=hw.routers_per_chip,
        crossbars_per_chip=hw.crossbars_per_chip,
        weight_bits=hw.precision.weight_bits,
        input_bits=hw.precision.input_bits,
        cells_per_weight=hw.cells_per_weight,
        weights_per_row=hw.weights_per_row,
        input_cycles=hw.input_cycles,
        crossbar_cycle_s=cycle,
        adc_time_per_cycle_s=adc_time,
        effective_cycle_s=effective,
        ima_power_w=ima_power,
        ima_area_mm2=ima_area,
        tile_power_w=hw.tile.imas * ima_power + sum(p.power_w for p in tile),
        tile_area_mm2=hw.tile.imas * ima_area + sum(p.area_mm2 for p in tile),
        power_w=math.fsum(p.per_chip * p.component.power_w for p in parts),
        area_mm2=math.fsum(p.per_chip * p.component.area_mm2 for p in parts),
        leakage_power_w=math.fsum(p.per_chip * p.component.leakage_power_w for p in parts),
        peak_macs_per_s=macs_per_input / (hw.input_cycles * effective),
    )


def node_costs(hw: HardwareConfig) -> NodeCosts:
    return NodeCosts(chip=chip_costs(hw), chips=hw.node.chips)
