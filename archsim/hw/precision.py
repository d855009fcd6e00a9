"""Whether a description's ADC represents every partial sum its crossbars can produce.

One conversion digitises one column's partial sum over one crossbar's rows in one input cycle:
sum over rows of (DAC input, 0 .. 2**dac_bits - 1) x (cell value, 0 .. 2**bits_per_cell - 1).
With ISAAC's flipped-weight encoding each column holds its cells or their complements,
whichever sum is smaller, so a column's cells sum to at most floor(rows x (2**w - 1) / 2)
and the largest partial sum is that times (2**dac_bits - 1) (docs/crossbar-path.md s.3). The
ADC counts in steps of 2**k units (k >= 0, a shift), the smallest that puts the largest
partial sum within its 2**adc_bits - 1 codes: k = 0 is lossless, k > 0 rounds every
conversion to a multiple of 2**k. ISAAC (128 rows, 1-bit DAC, 2-bit cells): 192, 8 bits,
lossless at 8 bits; isaac-8bit-1cell (8-bit cells): 16,320, 14 bits, 6 short of its 8-bit ADC.
"""

from dataclasses import dataclass

from archsim.config.hwschema import HardwareConfig


@dataclass(frozen=True, kw_only=True)
class AdcRange:
    """The partial-sum range of one crossbar column and the ADC step that covers it."""

    rows: int
    dac_bits: int
    bits_per_cell: int
    adc_bits: int
    flipped: bool = True  # ISAAC's flipped-weight encoding

    @property
    def largest_sum(self) -> int:
        """The largest partial sum one conversion can see (fault-free cells)."""
        cell_max = (1 << self.bits_per_cell) - 1
        column = self.rows * cell_max // 2 if self.flipped else self.rows * cell_max
        return column * ((1 << self.dac_bits) - 1)

    @property
    def bits_needed(self) -> int:
        """ADC bits that represent every partial sum 0 .. largest_sum exactly."""
        return max(1, self.largest_sum.bit_length())

    @property
    def shortfall(self) -> int:
        """Bits the ADC lacks for exact partial sums (0: lossless)."""
        return max(0, self.bits_needed - self.adc_bits)

    @property
    def lossless(self) -> bool:
        return self.shortfall == 0

    @property
    def step_shift(self) -> int:
        """k of the ADC's step 2**k: the smallest with (2**adc_bits - 1) * 2**k >= largest_sum."""
        top = (1 << self.adc_bits) - 1
        shift = 0
        while top << shift < self.largest_sum:
            shift += 1
        return shift

    def describe(self) -> str:
        head = (
            f"{self.rows} rows x {self.dac_bits}-bit DAC x {self.bits_per_cell}-bit cells"
            f"{' (flipped weights)' if self.flipped else ''}: partial sums up to "
            f"{self.largest_sum} need {self.bits_needed} ADC bits"
        )
        if self.lossless:
            return f"lossless: {head}, the {self.adc_bits}-bit ADC has them"
        return (
            f"lossy: {head}, the {self.adc_bits}-bit ADC is {self.shortfall} bit(s) short "
            f"(it counts in steps of {1 << self.step_shift})"
        )


def adc_range(hw: HardwareConfig) -> AdcRange:
    """The ADC range of a description's crossbars."""
    return AdcRange(
        rows=hw.crossbar.rows,
        dac_bits=hw.ima.dac.bits,
        bits_per_cell=hw.crossbar.bits_per_cell,
        adc_bits=hw.ima.adc.bits,
    )


@dataclass(frozen=True, kw_only=True)
class ChipPrecision:
    """What the accuracy path needs of a description: input bits and the ADC's range."""

    input_bits: int
    adc: AdcRange


def chip_precision(hw: HardwareConfig) -> ChipPrecision:
    return ChipPrecision(input_bits=hw.precision.input_bits, adc=adc_range(hw))
