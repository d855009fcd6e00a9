"""Hand-derived checks of one crossbar's bit-true matrix-vector product (faults/crossbar.py).

The crossbar: 128 rows, 2-bit cells, 4-bit weights (two cells), 1-bit DAC, one weight column.
Rows 0..62 hold q = 3 and rows 63..127 hold q = -5.
- offset encoding (bias 8): u = q + 8: 11 = 0b10|11 -> cells (2, 3); 3 = 0b00|11 -> (0, 3).
  Cell column 0 sums 63 x 2 = 126 <= 128 x 3 / 2 = 192: stored as is. Cell column 1 sums
  128 x 3 = 384 > 192: stored complemented (every cell 0), read back as 3 x S - reading,
  S = the cycle's count of active inputs.
- inputs (unsigned, 2 bits): x = 3 on rows 0..62, x = 1 on rows 63..127; cycle 0 (bit 0)
  drives all 128 rows, cycle 1 (bit 1) rows 0..62.
  cycle 0: column 0 reads 126; column 1 reads 0 -> 3 x 128 = 384.
  cycle 1: column 0 reads 126; column 1 reads 0 -> 3 x 63 = 189.
  shift-and-add: column 0: 126 + 2 x 126 = 378; column 1: 384 + 2 x 189 = 762.
  slices: 4 x 378 + 762 = 2274; bias 8 x (63 x 3 + 65 x 1) = 2032 -> 242
  = 63 x 3 x 3 + 65 x 1 x (-5) = 567 - 325.
"""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from archsim.faults.crossbar import CrossbarSpec, adc_read, crossbar_mvm, input_cycles
from archsim.faults.sites import CellFormat
from archsim.hw.precision import AdcRange

ROWS = 128


def _case() -> tuple[torch.Tensor, torch.Tensor]:
    codes = torch.tensor([3] * 63 + [-5] * 65).reshape(ROWS, 1)
    x = torch.tensor([3] * 63 + [1] * 65).reshape(1, ROWS)
    return x, codes


def _spec(encoding: str, adc_bits: int, shift: int, input_bits: int = 2) -> CrossbarSpec:
    return CrossbarSpec(
        rows=ROWS,
        input_bits=input_bits,
        dac_bits=1,
        adc_bits=adc_bits,
        adc_shift=shift,
        cells=CellFormat.of(4, 2, encoding),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("adc_bits", "shift", "expected"),
    [
        (8, 0, 242),  # lossless: every reading <= 255
        # 6 bits, unit steps: column 0's 126 saturates at 63 in both cycles:
        # 63 + 2 x 63 = 189; 4 x 189 + 762 - 2032 = -514 (column 1 reads 0: unaffected)
        (6, 0, -514),
        # 4 bits, unit steps: 15 + 2 x 15 = 45; 4 x 45 + 762 - 2032 = -1090
        (4, 0, -1090),
        # 6 bits at its own range (steps of 4: 63 x 4 = 252 >= 192): 126 / 4 = 31.5 rounds up
        # to 32 -> 128 per cycle; 128 + 256 = 384; 4 x 384 + 762 - 2032 = 266
        (6, 2, 266),
        # 4 bits at its own range (steps of 16): 126 / 16 = 7.875 -> 8 -> 128, as above: 266
        (4, 4, 266),
    ],
)
def test_offset_encoding_through_adcs(adc_bits: int, shift: int, expected: int) -> None:
    x, codes = _case()
    out = crossbar_mvm(x, codes, _spec("offset", adc_bits, shift), signed=False)
    assert out.tolist() == [[expected]]


@pytest.mark.parametrize(
    ("adc_bits", "expected"),
    [
        # differential: q = 3 -> positive cells (0, 3), negative (0, 0); q = -5 -> positive
        # (0, 0), negative (1, 1). Sums: pos1 189, neg0 65, neg1 65 (none above 192: no flip).
        # cycle 0: pos1 189, neg0 65, neg1 65; cycle 1 (rows 0..62): pos1 189, negatives 0.
        # pos: 189 + 2 x 189 = 567; neg: 4 x 65 + 65 = 325 -> 242
        (8, 242),
        # 6 bits: pos1 reads 63 twice: 63 + 126 = 189; neg0, neg1 read 63: 4 x 63 + 63 = 315
        # -> 189 - 315 = -126
        (6, -126),
        # 4 bits: pos1 15 + 30 = 45; neg 4 x 15 + 15 = 75 -> -30
        (4, -30),
    ],
)
def test_differential_encoding_through_adcs(adc_bits: int, expected: int) -> None:
    x, codes = _case()
    out = crossbar_mvm(x, codes, _spec("differential", adc_bits, 0), signed=False)
    assert out.tolist() == [[expected]]


@pytest.mark.parametrize(
    ("adc_bits", "expected"),
    [
        # signed 3-bit inputs: x = -2 (two's complement 110) on rows 0..62, x = 1 (001) on
        # rows 63..127. Cycles: bit 0 (weight 1) drives rows 63..127; bit 1 (weight 2) rows
        # 0..62; the sign bit (weight -4) rows 0..62. Offset cells as in the module doc.
        # column 0: 0, 126, 126 -> 2 x 126 - 4 x 126 = -252
        # column 1 (flipped, reads 0): 3 x 65, 3 x 63, 3 x 63 -> 195 + 378 - 756 = -183
        # 4 x (-252) - 183 = -1191; bias 8 x (63 x (-2) + 65) = -488 -> -703
        # = 63 x (-2) x 3 + 65 x 1 x (-5) = -378 - 325
        (8, -703),
        # 6 bits, unit steps: column 0 reads 63: 2 x 63 - 4 x 63 = -126;
        # 4 x (-126) - 183 + 488 = -199
        (6, -199),
    ],
)
def test_signed_input(adc_bits: int, expected: int) -> None:
    codes = _case()[1]
    x = torch.tensor([-2] * 63 + [1] * 65).reshape(1, ROWS)
    spec = _spec("offset", adc_bits, 0, input_bits=3)
    assert crossbar_mvm(x, codes, spec, signed=True).tolist() == [[expected]]


def test_adc_rounds_half_up_and_saturates() -> None:
    # steps of 4: 5 -> 1.25 -> 1 -> 4; 6 -> 1.5 -> 2 -> 8; 300 -> 75 -> clipped to 63 -> 252
    partial = torch.tensor([0.0, 5.0, 6.0, 300.0])
    assert adc_read(partial, 6, 2).tolist() == [0.0, 4.0, 8.0, 252.0]


def test_input_cycles_rebuild_the_codes() -> None:
    codes = torch.arange(-128, 128)
    total = sum(w * d for w, d in input_cycles(codes, 8, 2, signed=True))
    assert torch.equal(total, codes)
    unsigned = torch.arange(256)
    assert torch.equal(sum(w * d for w, d in input_cycles(unsigned, 8, 3, False)), unsigned)


def test_adc_range_of_isaac_and_its_8bit_cells() -> None:
    # ISAAC: 128 x 1 x 3 / 2 = 192 -> 8 bits: lossless at 8.
    isaac = AdcRange(rows=128, dac_bits=1, bits_per_cell=2, adc_bits=8)
    assert (isaac.largest_sum, isaac.bits_needed, isaac.lossless) == (192, 8, True)
    # without flipping 384 -> 9 bits (ISAAC's log2(R) + v + w - 1)
    assert AdcRange(rows=128, dac_bits=1, bits_per_cell=2, adc_bits=8, flipped=False).shortfall == 1
    # 8-bit cells: 128 x 255 // 2 = 16320 -> 14 bits, 6 short; steps of 64 (255 x 64 = 16320)
    cell8 = AdcRange(rows=128, dac_bits=1, bits_per_cell=8, adc_bits=8)
    assert (cell8.largest_sum, cell8.shortfall, cell8.step_shift) == (16320, 6, 6)


@pytest.mark.parametrize(
    ("name", "needed", "short"),
    [
        ("isaac", 8, 0),  # 128 x 3 // 2 = 192
        ("isaac-8bit-1cell", 14, 6),  # 128 x 255 // 2 = 16320
        ("isaac-256x256", 9, 1),  # 256 x 3 // 2 = 384
    ],
)
def test_hw_show_says_whether_lossless(name: str, needed: int, short: int) -> None:
    import json

    from click.testing import CliRunner

    from archsim.cli import cli

    result = CliRunner().invoke(cli, ["hw", "show", name, "--format", "json"])
    assert result.exit_code == 0, result.output
    totals = json.loads(result.output)["totals"]
    assert (totals["adc_bits_needed"], totals["adc_shortfall_bits"]) == (needed, short)
    assert totals["precision"].startswith("lossless" if short == 0 else "lossy")


def test_bitwise_any_is_the_or_of_the_elements() -> None:
    from functools import reduce

    from archsim.faults.crossbar import bitwise_any

    x = torch.randint(0, 2**12, (3, 7, 5), generator=torch.Generator().manual_seed(0))
    assert torch.equal(bitwise_any(x, 1), reduce(lambda a, b: a | b, x.unbind(1)))


def test_exact_needs_the_crossbar_path() -> None:
    from click.testing import CliRunner

    from archsim.cli import cli

    result = CliRunner().invoke(cli, ["evaluate", "--model", "lenet5", "--exact", "--no-crossbar"])
    assert result.exit_code == 2
    assert result.output.strip() == "error: --exact runs the crossbar path: drop --no-crossbar"


def test_cycle_sums_by_hand() -> None:
    from archsim.faults.crossbar import cycle_sums

    # unsigned 4 bits, 1-bit DAC: cycles weigh 1, 2, 4, 8; 0b1010 drives cycles 2 and 8:
    # sum 10, squares 4 + 64 = 68.
    # signed 4 bits, 2-bit DAC: cycles (shift 0, mask 3, weight 1), (shift 2, mask 1, weight 4)
    # and the sign bit (weight -8); 0b1100 (-4): 12 & 3 = 0 off, (12 >> 2) & 1 = 1 on, sign on:
    # sum 4 - 8 = -4, squares 16 + 64 = 80.
    unsigned = cycle_sums(torch.tensor([0b1010, 0]), 4, 1, False)
    assert unsigned.tolist() == [[10.0, 68.0], [0.0, 0.0]]
    assert cycle_sums(torch.tensor([0b1100]), 4, 2, True).tolist() == [[-4.0, 80.0]]


def test_window_any_is_the_or_over_each_conv_window() -> None:
    from functools import reduce

    import torch.nn.functional as F

    from archsim.faults.crossbar import window_any

    conv = torch.nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=(1, 1), dilation=(1, 2))
    x = torch.randint(0, 2**10, (2, 3, 9, 7), generator=torch.Generator().manual_seed(0))
    found = window_any(x.to(torch.int32), conv)
    # reference: per bit, the window's maximum of the bit plane (unfold over zero padding)
    out = F.conv2d(x.float(), conv.weight, None, conv.stride, conv.padding, conv.dilation)
    planes = [
        F.unfold(((x >> b) & 1).float(), (3, 2), (1, 2), (1, 1), (2, 1)).reshape(2, 3, 6, -1)
        for b in range(10)
    ]
    expected = reduce(lambda a, b: a | b, [p.amax(2).long() << b for b, p in enumerate(planes)])
    assert torch.equal(found.long().reshape(2, 3, -1), expected)
    assert found.shape[2:] == out.shape[2:]


@settings(max_examples=40, deadline=None)
@given(
    rows=st.integers(1, 40),
    cols=st.integers(1, 9),
    weight_bits=st.sampled_from([4, 8]),
    cell_bits=st.sampled_from([1, 2, 4]),
    dac_bits=st.integers(1, 3),
    encoding=st.sampled_from(["offset", "differential"]),
    seed=st.integers(0, 2**16),
)
def test_wide_adc_gives_the_integer_product(
    rows: int,
    cols: int,
    weight_bits: int,
    cell_bits: int,
    dac_bits: int,
    encoding: str,
    seed: int,
) -> None:
    """Invariant: with an ADC wide enough for every partial sum (16 bits, unit steps), the
    bit-true product is the integer product x @ q exactly, however many columns share one
    matmul column in `crossbar._readings` (its packing depends on the columns' bound)."""
    generator = torch.Generator().manual_seed(seed)
    top = (1 << (weight_bits - 1)) - 1
    codes = torch.randint(-top, top + 1, (rows, cols), generator=generator)
    x = torch.randint(0, 1 << 6, (5, rows), generator=generator)
    spec = CrossbarSpec(
        rows=rows,
        input_bits=6,
        dac_bits=dac_bits,
        adc_bits=16,
        adc_shift=0,
        cells=CellFormat.of(weight_bits, cell_bits, encoding),  # type: ignore[arg-type]
    )
    got = crossbar_mvm(x, codes, spec, signed=False)
    assert torch.equal(got, (x @ codes).to(torch.float64))
