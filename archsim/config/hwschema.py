"""The hardware description: node -> chip -> tile -> IMA -> crossbar, plus the host CPU.

Attribute paths (`hw.crossbar.rows`, `hw.ima.adc.count`, `hw.tile.imas`, `hw.cpu.link...`)
are what the mapper, the performance model and the fault simulator read; the YAML files in
`archsim/hwconfigs/` mirror this tree one to one. Blocks registered in `blocks.py` join their
section when a description is loaded (`hardware.hardware_model`).
"""

import math
from collections.abc import Iterator
from typing import Literal

from pydantic import Field, PositiveFloat, PositiveInt, model_validator

from archsim.config.hwparts import (
    AdcConfig,
    BusConfig,
    ComponentBlock,
    CountedUnitConfig,
    CrossbarConfig,
    DacConfig,
    EdramConfig,
    HyperTransportConfig,
    RegisterConfig,
    RouterConfig,
    SampleHoldConfig,
    Source,
    Strict,
)
from archsim.config.powercheck import PowerCheck, first_failure, power_checks


class PrecisionConfig(Strict):
    weight_bits: int = Field(ge=1, le=32)
    input_bits: int = Field(ge=1, le=32)
    source: Source


class ImaConfig(Strict):
    """In-situ multiply-accumulate unit: crossbars sharing ADCs, DACs and registers."""

    crossbars: PositiveInt
    adc: AdcConfig
    dac: DacConfig
    sample_hold: SampleHoldConfig
    shift_add: CountedUnitConfig
    input_register: RegisterConfig
    output_register: RegisterConfig
    source: Source


class TileConfig(Strict):
    imas: PositiveInt
    edram: EdramConfig
    bus: BusConfig
    router: RouterConfig
    sigmoid: CountedUnitConfig
    shift_add: CountedUnitConfig
    maxpool: CountedUnitConfig
    output_register: RegisterConfig
    source: Source


class ChipConfig(Strict):
    tiles: PositiveInt
    hypertransport: HyperTransportConfig
    source: Source


class NodeConfig(Strict):
    chips: PositiveInt
    source: Source


class CpuLinkConfig(Strict):
    """The link between the host CPU and the accelerator that CPU-routed layers cross."""

    bandwidth_gbps: PositiveFloat  # gigabits per second
    energy_pj_per_bit: float = Field(ge=0)
    latency_ns: float = Field(ge=0)  # fixed cost of one transfer, before serialisation
    source: Source


class CpuConfig(Strict):
    """The host CPU that runs 1x1 convolutions with SIMD FMAs (the drop-connect paper's AVX)."""

    model: Source
    cores: PositiveInt  # cores the CPU path runs on (its rate counts these)
    package_cores: PositiveInt  # cores of the package: the share charged is cores / these
    die_area_mm2: PositiveFloat  # the package's die: its share is charged as area
    simd_lanes: PositiveInt  # multiply-accumulates one SIMD FMA instruction performs
    fma_units: PositiveInt  # SIMD FMA instructions a core issues per cycle
    frequency_ghz: PositiveFloat
    efficiency: float = Field(gt=0, le=1)  # fraction of peak FMA throughput achieved
    power_w: PositiveFloat  # package power while computing
    idle_power_w: float = Field(ge=0)  # drawn while it waits for work
    # serves only the accelerator: its whole idle power and die are charged to design points
    # using it; false: the share of the cores the CPU path uses (cores / package_cores)
    dedicated: bool
    link: CpuLinkConfig
    source: Source

    @model_validator(mode="after")
    def _idle_below_busy(self) -> "CpuConfig":
        if self.idle_power_w > self.power_w:
            raise ValueError(f"idle_power_w ({self.idle_power_w}) exceeds power_w ({self.power_w})")
        if self.cores > self.package_cores:
            raise ValueError(f"cores ({self.cores}) exceeds package_cores ({self.package_cores})")
        return self

    @property
    def charged_share(self) -> float:
        """The package share charged to a design point that uses the CPU path."""
        return 1.0 if self.dedicated else self.cores / self.package_cores


class OperationConfig(Strict):
    """How the chip is operated: BatchNorm handling, power gating, the power-check tolerance."""

    batchnorm: Literal["folded", "units"]  # folded into the conv before it, or on tile units
    unused_tiles_power_gated: bool  # tiles holding no layer draw no static power
    unused_chips_power_gated: bool  # chips of the budget holding no layer draw none
    # chip links that carry nothing draw none: a one-chip design keeps only its host link up
    unused_links_power_gated: bool
    power_check_rtol: float = Field(ge=0, le=1)  # see archsim/config/powercheck.py
    source: Source


class PaperEstimatorConfig(Strict):
    """Calibration of the throughput-bound Table II estimator (archsim/perf/paper.py)."""

    mac_rate_per_s: PositiveFloat  # effective multiply-accumulates per second
    power_w: PositiveFloat  # constant power: energy = latency x power
    source: Source


class HardwareConfig(Strict):
    """A complete, validated hardware description."""

    name: Source
    description: Source
    source: Source
    technology_nm: PositiveInt
    frequency_ghz: PositiveFloat  # digital clock of tiles (shift-add, registers, eDRAM)
    precision: PrecisionConfig
    crossbar: CrossbarConfig
    ima: ImaConfig
    tile: TileConfig
    chip: ChipConfig
    node: NodeConfig
    cpu: CpuConfig
    operation: OperationConfig
    paper_estimator: PaperEstimatorConfig | None = None  # optional; only `--estimator paper`

    @model_validator(mode="after")
    def _consistent(self) -> "HardwareConfig":
        if self.crossbar.bits_per_cell > self.precision.weight_bits:
            raise ValueError(
                f"crossbar.bits_per_cell ({self.crossbar.bits_per_cell}) exceeds "
                f"precision.weight_bits ({self.precision.weight_bits})"
            )
        if self.weights_per_row < 1:
            inside = self.crossbar.unit_columns_inside
            raise ValueError(
                f"a weight needs {self.cells_per_weight} cells but a crossbar row has only "
                f"{self.crossbar.cols} columns"
                + (f" ({inside} of them the unit column)" if inside else "")
            )
        if self.ima.dac.bits > self.precision.input_bits:
            raise ValueError(
                f"ima.dac.bits ({self.ima.dac.bits}) exceeds precision.input_bits "
                f"({self.precision.input_bits})"
            )
        failure = first_failure(self.component_blocks(), self.operation.power_check_rtol)
        if failure is not None:
            raise ValueError(f"power check failed for {failure.describe()}")
        return self

    def component_blocks(self) -> Iterator[tuple[str, ComponentBlock]]:
        """Every component block of the chip, found from the schema (a new block is listed too)."""
        yield "crossbar", self.crossbar
        for level in ("ima", "tile", "chip"):
            section = getattr(self, level)
            for name in type(section).model_fields:
                block = getattr(section, name)
                if isinstance(block, ComponentBlock):
                    yield f"{level}.{name}", block

    def power_checks(self) -> list[PowerCheck]:
        """Energy x rate + static power against the stated power, per component action."""
        return power_checks(self.component_blocks(), self.operation.power_check_rtol)

    @property
    def cells_per_weight(self) -> int:
        """Physical cells one weight occupies: bit slices, doubled for differential pairs."""
        slices = math.ceil(self.precision.weight_bits / self.crossbar.bits_per_cell)
        return slices * (2 if self.crossbar.encoding == "differential" else 1)

    @property
    def weights_per_row(self) -> int:
        """Whole weights that fit side by side along one crossbar row, beside a unit column
        inside the array (`in_array`); the mapper packs the same number
        (`mapping/geometry.py`)."""
        return (self.crossbar.cols - self.crossbar.unit_columns_inside) // self.cells_per_weight

    @property
    def columns_read(self) -> int:
        """Columns a crossbar full of weights reads, samples and converts each cycle: its
        weights' cells and the unit column (inside the array or beside it), as the mapper
        lays a full block out; columns no whole weight fits in stay unread."""
        unit = self.crossbar.encoding == "offset" and self.crossbar.offset_reference != (
            "input_count"
        )
        return self.weights_per_row * self.cells_per_weight + int(unit)

    @property
    def input_cycles(self) -> int:
        """Crossbar cycles to stream one input value through the row DACs."""
        return math.ceil(self.precision.input_bits / self.ima.dac.bits)

    @property
    def dacs_per_ima(self) -> int:
        return self.ima.crossbars * self.crossbar.rows

    @property
    def sample_holds_per_ima(self) -> int:
        """One per physical column, the extra unit column (`extra_column`) included."""
        return self.ima.crossbars * self.crossbar.physical_cols

    @property
    def crossbars_per_tile(self) -> int:
        return self.ima.crossbars * self.tile.imas

    @property
    def crossbars_per_chip(self) -> int:
        return self.crossbars_per_tile * self.chip.tiles

    @property
    def routers_per_chip(self) -> int:
        return math.ceil(self.chip.tiles / self.tile.router.tiles_per_router)
