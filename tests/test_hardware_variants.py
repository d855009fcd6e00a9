"""Hardware variants (`archsim/config/variants.py`): a description with keys changed, named by
what changed, whose costs follow the component models (ADC x2 per bit, arrays by cells)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from archsim.cli import cli
from archsim.config.hardware import canonical_hardware, hardware_digest, load_hardware
from archsim.errors import UserError
from archsim.hw.chip import chip_costs
from archsim.perf.hw_costs import costs_from_hardware

# ISAAC's 8-bit ADC (Table 2): 16 mW and 0.0096 mm^2 for 8, so 2.0 mW and 0.0012 mm^2 each;
# its conversion energy is (2.0 - 0.2 static) mW / 1.28 GS/s = 1.40625 pJ.
ANCHOR_PJ, ANCHOR_MW, ANCHOR_MM2 = 1.8 / 1.28, 2.0, 0.0012


@pytest.mark.parametrize("bits", [6, 7, 8])
def test_adc_energy_power_and_area_follow_the_walden_scaling_from_isaacs_anchor(
    bits: int,
) -> None:
    # Walden: energy per conversion = FOM x 2^bits at a fixed FOM, so against the 8-bit
    # anchor x 2^(bits - 8): 6 bits 1.40625 / 4 = 0.3515625 pJ, 7 bits 0.703125 pJ, 8 bits
    # the anchor; power (static share with it) and area (2^bits unit capacitors) likewise.
    by_hand = {6: 0.3515625, 7: 0.703125, 8: 1.40625}[bits]
    assert by_hand == pytest.approx(ANCHOR_PJ * 2.0 ** (bits - 8))
    hw = load_hardware(f"isaac[ima.adc.bits={bits}]")
    adc = hw.ima.adc
    assert adc.bits == bits
    assert adc.actions["conversion"].energy_pj == pytest.approx(by_hand)
    assert adc.power_mw == pytest.approx(ANCHOR_MW * by_hand / ANCHOR_PJ)
    assert adc.leakage_mw == pytest.approx(0.2 * by_hand / ANCHOR_PJ)
    assert adc.area_mm2 == pytest.approx(ANCHOR_MM2 * by_hand / ANCHOR_PJ)
    assert adc.sample_rate_gsps == 1.28  # the same converter speed
    assert all(check.ok for check in hw.power_checks())  # energy x rate + static = power holds
    # what the performance model prices a conversion at
    assert costs_from_hardware(hw).energy_j("ima.adc/conversion") == pytest.approx(by_hand * 1e-12)


def test_the_shipped_isaac_keeps_its_table_2_adc() -> None:
    adc = load_hardware("isaac").ima.adc
    assert (adc.bits, adc.power_mw, adc.area_mm2) == (8, ANCHOR_MW, ANCHOR_MM2)
    assert adc.actions["conversion"].energy_pj == pytest.approx(ANCHOR_PJ)


@pytest.mark.parametrize("rows", [64, 128, 256])
def test_rows_scale_the_dacs_and_the_array_columns_scale_the_sample_and_holds(rows: int) -> None:
    # One DAC per crossbar row: 8 arrays x rows per IMA (ISAAC: 8 x 128 = 1024), times 12
    # IMAs x 168 tiles per chip = 2016 IMAs. One sample-and-hold per column read, ISAAC's
    # unit column beside the 128 included: 8 x 129 = 1032 per IMA whatever the rows. The
    # array's power and area scale with its cells: 0.3 mW and 0.000025 mm^2 per 128 x 128,
    # so x rows / 128.
    hw = load_hardware(f"isaac[crossbar.rows={rows}]")
    chip = chip_costs(hw)
    assert chip.part("ima.dac").count == 8 * rows
    assert chip.part("ima.dac").per_chip == 8 * rows * 2016
    assert chip.part("ima.sample_hold").count == 8 * 129
    assert hw.crossbar.power_mw == pytest.approx(0.3 * rows / 128)
    assert hw.crossbar.area_mm2 == pytest.approx(0.000025 * rows / 128)
    assert hw.crossbar.actions["read"].energy_pj == pytest.approx(0.3 * 100 / (128 * 128))
    wide = chip_costs(load_hardware(f"isaac[crossbar.cols={rows}]"))
    assert wide.part("ima.sample_hold").count == 8 * (rows + 1)
    assert wide.part("ima.dac").count == 1024


def test_a_variant_has_one_name_keys_sorted_and_base_values_dropped() -> None:
    assert canonical_hardware("isaac[ima.adc.bits=8]") == ("isaac", load_hardware("isaac"))
    name, hw = canonical_hardware("isaac[ima.adc.bits=6, crossbar.rows=64, ima.adc.count=8]")
    assert name == hw.name == "isaac[crossbar.rows=64,ima.adc.bits=6]"
    assert hardware_digest(hw) == hardware_digest(load_hardware(name))
    assert "Variant: crossbar.rows 128 -> 64, ima.adc.bits 8 -> 6." in hw.description
    # a variant of a variant file (its base chain) works the same way
    cell = load_hardware("isaac-8bit-1cell[ima.adc.bits=10]")
    assert (cell.crossbar.bits_per_cell, cell.ima.adc.bits) == (8, 10)


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("isaac[ima.dac.bits=2]", "'ima.dac.bits' cannot vary (keys that can: ima.adc.bits,"),
        ("isaac[ima.adc.bits=six]", "ima.adc.bits must be a whole number, got 'six'"),
        ("isaac[ima.adc.bits=0]", "ima.adc.bits: Input should be greater than or equal to 1"),
        ("isaac[crossbar.rows=8192]", "crossbar.rows: Input should be less than or equal to"),
        ("isaac[precision.weight_bits=1]", "crossbar.bits_per_cell (2) exceeds precision"),
        ("isaac[ima.adc.bits=6,ima.adc.bits=7]", "ima.adc.bits is given twice"),
        ("isaac[ima.adc.bits]", "write KEY=VALUE inside [...]"),
    ],
)
def test_a_bad_variant_is_one_error_line(reference: str, message: str) -> None:
    with pytest.raises(UserError, match=None) as caught:
        load_hardware(reference)
    assert message in str(caught.value)
    result = CliRunner().invoke(cli, ["hw", "validate", reference])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith("error: hardware ")
