"""Quantization and what stuck cells do to a weight, checked against hand-computed codes."""

import pytest
import torch

from archsim.errors import UserError
from archsim.faults.effects import cell_effect_dense, cell_slices, from_cells, weight_effect
from archsim.faults.models import OK, STUCK_OFF, STUCK_ON
from archsim.faults.quantize import quantize_weight
from archsim.faults.sites import CellFormat

ISAAC_OFFSET = CellFormat.of(16, 2, "offset")  # 8 cells, MSB slice first
ISAAC_DIFF = CellFormat.of(16, 2, "differential")  # 8 positive cells, then 8 negative


def test_symmetric_quantization_per_layer_and_per_channel() -> None:
    w = torch.tensor([[0.5, -0.25, 0.125], [0.012, -0.02, 0.0]])
    q = quantize_weight(w, 8)
    assert q.qmax == 127
    assert q.scale.item() == pytest.approx(0.5 / 127)
    assert q.codes.tolist() == [[127, -64, 32], [3, -5, 0]]  # round(w / scale)
    pc = quantize_weight(w, 8, per_channel=True)
    assert pc.codes.tolist() == [[127, -64, 32], [76, -127, 0]]
    assert torch.allclose(pc.dequantize(), w, atol=0.5 / 127 / 2)
    assert quantize_weight(torch.zeros(3), 8).dequantize().tolist() == [0.0, 0.0, 0.0]
    # positions may count copies of the 2 x 3 weight: 4 and 5 are row 1 of copy 0 (channel
    # 1's scale 0.02 / 127), 6 is row 0 of copy 1 (channel 0's scale 0.5 / 127)
    got = pc.dequantize_at(torch.tensor([4, 5, 6]), torch.tensor([127, -127, -127]))
    assert torch.allclose(got, torch.tensor([0.02, -0.02, -0.5]))
    with pytest.raises(UserError):
        quantize_weight(w, 1)


def test_isaac_cell_values_of_a_known_code() -> None:
    # 1000 + 2**15 = 33768 = 0b10_00_00_11_11_10_10_00
    assert cell_slices(torch.tensor([1000]), ISAAC_OFFSET).tolist() == [[2, 0, 0, 3, 3, 2, 2, 0]]
    # -1000: positive array empty, negative array holds 1000 = 0b00_00_00_11_11_10_10_00
    assert cell_slices(torch.tensor([-1000]), ISAAC_DIFF).tolist() == [
        [0] * 8 + [0, 0, 0, 3, 3, 2, 2, 0]
    ]


def _one_stuck(cells: int, index: int, state: int) -> torch.Tensor:
    states = torch.zeros(1, cells, dtype=torch.int8)
    states[0, index] = state
    return states


@pytest.mark.parametrize(
    ("fmt", "code", "cell", "state", "expected"),
    [
        (ISAAC_OFFSET, 1000, 7, STUCK_ON, 1003),  # LSB slice 0 -> 3: +3
        (ISAAC_OFFSET, 1000, 0, STUCK_OFF, 1000 - 2 * 2**14),  # MSB slice 2 -> 0: -32768
        (ISAAC_OFFSET, 1000, 4, STUCK_OFF, 1000 - 3 * 2**6),  # slice 4 holds 3 at bit 6: -192
        (ISAAC_OFFSET, -1000, 0, STUCK_ON, -1000 + 2**15),  # stored 31768: MSB slice 1 -> 3
        (ISAAC_DIFF, -1000, 2, STUCK_ON, 3 * 2**10 - 1000),  # positive slice 2 (bit 10) -> 3
        (ISAAC_DIFF, -1000, 8 + 3, STUCK_OFF, -(1000 - 3 * 2**8)),  # negative slice 3 -> 0
        (ISAAC_DIFF, -1000, 15, STUCK_ON, -1003),  # negative LSB 0 -> 3
        (ISAAC_DIFF, 1000, 15, STUCK_OFF, 1000),  # negative array already 0: harmless
        (CellFormat.of(8, 8, "offset"), 5, 0, STUCK_OFF, -128),  # one 8-bit cell: 133 -> 0
        (CellFormat.of(8, 8, "offset"), 5, 0, STUCK_ON, 127),  # 133 -> 255
        (CellFormat.of(8, 8, "differential"), 5, 1, STUCK_ON, 5 - 255),
    ],
)
def test_one_stuck_cell_changes_the_weight_by_the_hand_computed_amount(
    fmt: CellFormat, code: int, cell: int, state: int, expected: int
) -> None:
    codes = torch.tensor([code])
    got = cell_effect_dense(codes, _one_stuck(fmt.cells_per_weight, cell, state), fmt)
    assert got.tolist() == [expected]
    # and dequantized: a weight layer whose scale is exactly 2**-15 (max |w| = 32767 * 2**-15)
    w = torch.tensor([code * 2.0**-15, 32767 * 2.0**-15])
    q = quantize_weight(w, 16)
    states = torch.zeros(2, fmt.cells_per_weight, dtype=torch.int8)
    states[0, cell] = state
    if fmt.weight_bits == 16:
        faulted = q.dequantize(cell_effect_dense(q.codes, states, fmt))
        assert faulted[0].item() == expected * 2.0**-15


@pytest.mark.parametrize("encoding", ["offset", "differential"])
@pytest.mark.parametrize("bits_per_cell", [1, 2, 3, 8])
def test_cells_round_trip_every_8bit_code(encoding: str, bits_per_cell: int) -> None:
    fmt = CellFormat.of(8, bits_per_cell, encoding)  # type: ignore[arg-type]
    codes = torch.arange(-127, 128)
    assert torch.equal(from_cells(cell_slices(codes, fmt), fmt), codes)
    no_faults = torch.full((255, fmt.cells_per_weight), OK, dtype=torch.int8)
    assert torch.equal(cell_effect_dense(codes, no_faults, fmt), codes)


def test_weight_granularity_effects() -> None:
    codes = torch.tensor([[5, -7], [0, 9]])
    index = torch.tensor([0, 1, 2, 3])
    kind = torch.tensor([STUCK_ON, STUCK_ON, STUCK_ON, STUCK_OFF])
    assert weight_effect(codes, index, kind, 127).tolist() == [[127, -127], [127, 0]]
    off = torch.full((3,), STUCK_OFF, dtype=torch.int8)  # every fault stuck-off: all read 0
    assert weight_effect(codes, index[1:], off, 127).tolist() == [[5, 0], [0, 0]]
    none = torch.zeros(0, dtype=torch.int64)
    assert torch.equal(weight_effect(codes, none, none.to(torch.int8), 127), codes)


def test_several_stuck_cells_of_one_weight_add_up() -> None:
    states = torch.zeros(1, 8, dtype=torch.int8)
    states[0, 7], states[0, 0], states[0, 4] = STUCK_ON, STUCK_OFF, STUCK_OFF
    got = cell_effect_dense(torch.tensor([1000]), states, ISAAC_OFFSET)
    assert got.tolist() == [1000 + 3 - 2 * 2**14 - 3 * 2**6]


def test_all_cells_stuck() -> None:
    codes = torch.tensor([1000, -3])
    off = torch.full((2, 8), STUCK_OFF, dtype=torch.int8)
    on = torch.full((2, 8), STUCK_ON, dtype=torch.int8)
    assert cell_effect_dense(codes, off, ISAAC_OFFSET).tolist() == [-(2**15)] * 2
    assert cell_effect_dense(codes, on, ISAAC_OFFSET).tolist() == [2**16 - 1 - 2**15] * 2
    diff_off = torch.full((2, 16), STUCK_OFF, dtype=torch.int8)
    assert cell_effect_dense(codes, diff_off, ISAAC_DIFF).tolist() == [0, 0]
    diff_on = torch.full((2, 16), STUCK_ON, dtype=torch.int8)
    assert cell_effect_dense(codes, diff_on, ISAAC_DIFF).tolist() == [0, 0]
    with pytest.raises(ValueError, match="cells"):
        cell_effect_dense(codes, off, ISAAC_DIFF)
