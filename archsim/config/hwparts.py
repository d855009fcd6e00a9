"""Schema of the hardware blocks inside a hardware description (one pydantic model each).

Every cost is for ONE instance of the block (one ADC, one DAC, one router); how many
instances exist is either a `count` field here or follows from the structure (one DAC per
crossbar row, one sample-and-hold per crossbar column). Each block carries its own `source:`,
and each named action (a conversion, a 256-bit eDRAM access, ...) its energy, latency and
source, so a missing cost is a validation error and never a silent zero.

`ACTIONS` is the contract with the component's module in `archsim/hw/`: its `ComponentSpec`
must declare exactly these actions (checked when that module is imported). The blocks below
are fields of `hwschema.py`; a new shipped component's block is defined here and added to the
schema with `blocks.register_block(section, name, Model)` next to its model.
"""

from typing import Annotated, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    StringConstraints,
    model_validator,
)

Source = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Encoding = Literal["offset", "differential"]
# Where the offset encoding's reference (the sum of the inputs, times the bias) comes from:
# `extra_column`: a unit column beside the `cols` weight columns, with its own sample-and-hold
# and ADC sample every cycle (ISAAC's choice, docs/reference.md s.1); `input_count`: a digital
# count of the input bits each cycle, no column; `in_array`: a unit column inside the `cols`
# columns, which then hold fewer weights. See archsim/mapping/geometry.py.
OffsetReference = Literal["extra_column", "input_count", "in_array"]
OFFSET_REFERENCES: tuple[OffsetReference, ...] = ("extra_column", "input_count", "in_array")

# Two latencies that must agree with a structural field may differ by float round-off only.
_REL_TOL = 1e-6

# Plausibility bounds: values past these are typos (an extra zero or three), not designs.
# The shipped descriptions use 128x128 and 256x256 arrays (ISAAC's is 128x128); 4096 leaves
# a wide margin. A lithography reticle is about 26 mm x 33 mm = 858 mm^2, so no block of one
# chip is larger than 1000 mm^2, and no single block draws a kilowatt.
MAX_CROSSBAR_SIDE = 4096
MAX_BLOCK_AREA_MM2 = 1000.0
MAX_BLOCK_POWER_MW = 1e6

# An ADC one bit wider costs twice the energy per conversion and twice the area, at the same
# sample rate (docs/reference.md s.7). Energy: the Walden figure of merit FOM_W = P / (f_s x
# 2^ENOB) (R. H. Walden, IEEE JSAC 17(4), 1999), the figure B. Murmann's "ADC Performance
# Survey 1997-2024" ranks converters by, makes the energy per conversion P / f_s = FOM_W x
# 2^ENOB: at a fixed FOM_W (one design style, one process) it doubles per bit. This is the
# regime of low-resolution converters; above about 10 bits thermal noise makes it x4 per bit
# (the Schreier figure of merit), beyond the 4-10 bits crossbar ADCs use. Area: a SAR ADC's
# capacitive DAC holds 2^N unit capacitors (M. Saberi et al., IEEE TCAS-I 58(8), 2011), the
# largest part of a low-power SAR converter's area, so area also doubles per bit (an upper
# bound: comparator and logic grow only linearly). The anchor is the description's own ADC
# (ISAAC's 8-bit ADC at its Table 2 power and area): variants derive from it.
ADC_STEP_PER_BIT = 2.0


class Strict(BaseModel):
    """Base of every config model: unknown keys, type coercion, NaN and infinity are errors;
    immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Action(Strict):
    """Cost of one named action of one component instance."""

    energy_pj: NonNegativeFloat
    latency_ns: NonNegativeFloat
    bits: PositiveInt | None = None  # data one action moves (transfers, accesses); else None
    source: Source


class ComponentBlock(Strict):
    """Per-instance power (at the source's full activity), area, static power and actions."""

    ACTIONS: ClassVar[tuple[str, ...]] = ()

    power_mw: float = Field(ge=0, le=MAX_BLOCK_POWER_MW)
    area_mm2: float = Field(gt=0, le=MAX_BLOCK_AREA_MM2)  # every physical block takes area
    leakage_mw: float = Field(ge=0, le=MAX_BLOCK_POWER_MW)
    actions: dict[str, Action]
    source: Source

    @model_validator(mode="after")
    def _has_exactly_its_actions(self) -> "ComponentBlock":
        if self.leakage_mw > self.power_mw:
            raise ValueError(
                f"leakage_mw ({self.leakage_mw}) exceeds power_mw ({self.power_mw}): static "
                "power is part of the power at full activity"
            )
        missing = [name for name in self.ACTIONS if name not in self.actions]
        unknown = [name for name in self.actions if name not in self.ACTIONS]
        required = ", ".join(self.ACTIONS)
        if missing:
            raise ValueError(f"actions: missing '{missing[0]}' (required: {required})")
        if unknown:
            raise ValueError(f"actions: unknown action '{unknown[0]}' (allowed: {required})")
        return self


def _check_latency(block: ComponentBlock, action_name: str, expected_ns: float, what: str) -> None:
    action = block.actions.get(action_name)
    if action is None:
        return  # reported by the missing-action check
    if abs(action.latency_ns - expected_ns) > _REL_TOL * expected_ns:
        raise ValueError(
            f"actions.{action_name}.latency_ns ({action.latency_ns}) disagrees with {what} "
            f"({expected_ns:.6g} ns)"
        )


class CrossbarConfig(ComponentBlock):
    """One RRAM crossbar array; `read` is one cell taking part in one crossbar cycle."""

    ACTIONS: ClassVar[tuple[str, ...]] = ("read",)

    rows: int = Field(ge=1, le=MAX_CROSSBAR_SIDE)
    cols: int = Field(ge=1, le=MAX_CROSSBAR_SIDE)
    bits_per_cell: int = Field(ge=1, le=8)
    cycle_ns: PositiveFloat
    encoding: Encoding
    offset_reference: OffsetReference | None = None  # required with the offset encoding
    # wire resistance per cell along a row or a column (ohm): set, the crossbar path reads every
    # chip's cells through it (IR drop, docs/device-physics.md s.6); unset: ideal wires
    wire_ohm: float | None = Field(default=None, ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _read_takes_one_cycle(self) -> "CrossbarConfig":
        _check_latency(self, "read", self.cycle_ns, "cycle_ns")
        if self.encoding == "offset" and self.offset_reference is None:
            raise ValueError(
                "offset_reference is required with the offset encoding: one of "
                + ", ".join(OFFSET_REFERENCES)
                + " (extra_column is ISAAC's unit column beside the weight columns)"
            )
        return self

    def resized(self, rows: int, cols: int) -> "CrossbarConfig":
        """This array with `rows` x `cols` cells: the per-cell read energy is kept, so its
        power at full activity, its static power and its area scale with the cell count (as
        `isaac-256x256.yaml` scales ISAAC's Table 2 array); the result is validated with the
        description it joins."""
        factor = rows * cols / (self.rows * self.cols)
        return self.model_copy(
            update={
                "rows": rows,
                "cols": cols,
                "power_mw": self.power_mw * factor,
                "leakage_mw": self.leakage_mw * factor,
                "area_mm2": self.area_mm2 * factor,
                "source": f"{self.source}; resized from {self.rows}x{self.cols} to "
                f"{rows}x{cols}: power and area x {factor:g} (cell count), read energy per "
                "cell kept",
            }
        )

    @property
    def unit_columns_inside(self) -> int:
        """Weight columns a crossbar gives up to the offset's unit column (`in_array`)."""
        return int(self.encoding == "offset" and self.offset_reference == "in_array")

    @property
    def unit_columns_outside(self) -> int:
        """Columns a crossbar has beyond its `cols` (`extra_column`: ISAAC's 129th column)."""
        return int(self.encoding == "offset" and self.offset_reference == "extra_column")

    @property
    def physical_cols(self) -> int:
        """Columns read, sampled and converted per cycle when every column is in use."""
        return self.cols + self.unit_columns_outside


class AdcConfig(ComponentBlock):
    """One ADC; `conversion` digitises one column sample."""

    ACTIONS: ClassVar[tuple[str, ...]] = ("conversion",)

    count: PositiveInt  # per IMA
    bits: int = Field(ge=1, le=16)
    sample_rate_gsps: PositiveFloat

    @model_validator(mode="after")
    def _conversion_matches_rate(self) -> "AdcConfig":
        _check_latency(self, "conversion", 1.0 / self.sample_rate_gsps, "1 / sample_rate_gsps")
        return self

    def at_bits(self, bits: int) -> "AdcConfig":
        """This converter at `bits` bits, same sample rate and architecture: energy per
        conversion, power (its static share with it, so the power check still holds) and
        area each x `ADC_STEP_PER_BIT` ** (bits - self.bits) (docs/reference.md s.7)."""
        factor = ADC_STEP_PER_BIT ** (bits - self.bits)
        actions = {
            name: action.model_copy(update={"energy_pj": action.energy_pj * factor})
            for name, action in self.actions.items()
        }
        return self.model_copy(
            update={
                "bits": bits,
                "power_mw": self.power_mw * factor,
                "leakage_mw": self.leakage_mw * factor,
                "area_mm2": self.area_mm2 * factor,
                "actions": actions,
                "source": f"{self.source}; scaled from {self.bits} to {bits} bits: energy, "
                f"power and area x 2^({bits} - {self.bits}) = {factor:g} (Walden figure of "
                "merit, Murmann's ADC survey; SAR capacitor array of 2^bits unit capacitors)",
            }
        )


class DacConfig(ComponentBlock):
    """One row DAC (one per crossbar row); `row_drive` applies one input slice to a row."""

    ACTIONS: ClassVar[tuple[str, ...]] = ("row_drive",)

    bits: int = Field(ge=1, le=16)  # input bits applied per crossbar cycle


class SampleHoldConfig(ComponentBlock):
    """One sample-and-hold (one per crossbar column); `sample` captures one column output."""

    ACTIONS: ClassVar[tuple[str, ...]] = ("sample",)


class CountedUnitConfig(ComponentBlock):
    """A digital unit instantiated `count` times (shift-and-add, sigmoid, max-pool)."""

    ACTIONS: ClassVar[tuple[str, ...]] = ("op",)

    count: PositiveInt


class RegisterConfig(ComponentBlock):
    """A register file; `access` reads or writes `bits` bits."""

    ACTIONS: ClassVar[tuple[str, ...]] = ("access",)

    size_bytes: PositiveInt


class EdramConfig(ComponentBlock):
    """The tile's eDRAM buffer; `access` reads or writes one bus-width word."""

    ACTIONS: ClassVar[tuple[str, ...]] = ("access",)

    size_kb: PositiveInt
    banks: PositiveInt


class BusConfig(ComponentBlock):
    """The eDRAM-to-IMA bus; `transfer` moves one bus-width beat."""

    ACTIONS: ClassVar[tuple[str, ...]] = ("transfer",)

    wires: PositiveInt


class RouterConfig(ComponentBlock):
    """One mesh router, shared by `tiles_per_router` tiles; `transfer` moves `bits` bits."""

    ACTIONS: ClassVar[tuple[str, ...]] = ("transfer",)

    tiles_per_router: PositiveInt
    flit_bits: PositiveInt
    ports: PositiveInt


class HyperTransportConfig(ComponentBlock):
    """One off-chip link (power and area per link); `transfer` moves `bits` bits."""

    ACTIONS: ClassVar[tuple[str, ...]] = ("transfer",)

    links: PositiveInt  # per chip
    link_bandwidth_gbps: PositiveFloat  # gigabits per second, one direction, one link
