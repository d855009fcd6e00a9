"""Spare columns and per-chip remapping on hand-built blocks and chips."""

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from archsim.faults.blockview import BlockFaults
from archsim.faults.inject import FaultInjector
from archsim.faults.models import STUCK_OFF, STUCK_ON
from archsim.faults.records import ChipFaults, LayerFaults
from archsim.faults.remap import layout_harm, remap_block, remap_chip
from archsim.faults.spares import apply_spares
from archsim.mapping.records import CrossbarBlock
from tests.faults_support import toy_mapping

# 16-bit offset encoding: 8 cells per weight + 1 unit column; 17 columns hold 2 weights a row.
TWO_BY_TWO = {"rows": 2, "cols": 17}


class Fc(nn.Module):
    def __init__(self, weight: list[list[float]]) -> None:
        super().__init__()
        w = torch.tensor(weight)
        self.fc = nn.Linear(w.shape[1], w.shape[0], bias=False)
        with torch.no_grad():
            self.fc.weight.copy_(w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)


def chip_of(index: list[int], kind: list[int], shape: tuple[int, ...]) -> ChipFaults:
    layer = LayerFaults(
        shape, torch.tensor(index, dtype=torch.int64), torch.tensor(kind, dtype=torch.int8)
    )
    return ChipFaults("weight", {"fc": layer}, "dropconnect", 0.1, 0, 0)


def outputs(injector: FaultInjector, chip: ChipFaults | None, x: torch.Tensor) -> torch.Tensor:
    with injector.applied(chip) as model, torch.no_grad():
        return model(x)


def test_remap_2x2_puts_the_stuck_cell_on_the_zero_weight() -> None:
    # Matrix (rows = inputs, cols = outputs) [[1, 2], [3, 0]]: weight[out, in] is its transpose.
    # The stuck-off slot (0, 0) holds weight 1 (flat index out 0 * 2 rows + row 0 = 0). Swapping
    # both rows and both columns stores the zero weight (1, 1) there: the chip then computes
    # exactly the fault-free quantized outputs.
    model = Fc([[1.0, 3.0], [2.0, 0.0]])
    injector = FaultInjector(model, toy_mapping(model, **TWO_BY_TWO))
    assert len(injector.sites[0].blocks) == 1
    chip = chip_of([0], [STUCK_OFF], (2, 2))
    x = torch.tensor([[1.0, -2.0], [0.5, 4.0]])
    clean, faulty = outputs(injector, None, x), outputs(injector, chip, x)
    assert not torch.equal(clean, faulty)
    result = remap_chip(injector, chip)
    assert result.chip.layers["fc"].index.tolist() == [3]  # weight[1, 1], the zero
    assert result.harm_after == 0 and result.harm_before == injector.quantized["fc"].qmax // 3
    assert torch.equal(outputs(injector, result.chip, x), clean)


def test_spare_column_recovers_a_column_of_faults_exactly() -> None:
    # A 4-input, 2-output layer in one block; output column 0 is stuck off on all 4 rows
    # (flat indices 0..3). One fault-free spare takes column 0 over: fault-free outputs.
    model = Fc([[1.0, -2.0, 3.0, 4.0], [0.5, 1.5, -1.0, 2.0]])
    injector = FaultInjector(model, toy_mapping(model, rows=4, cols=17))
    chip = chip_of([0, 1, 2, 3], [STUCK_OFF] * 4, (2, 4))
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(0))
    clean = outputs(injector, None, x)
    assert outputs(injector, chip, x)[:, 0].abs().max() == 0  # column 0 reads zero
    result = apply_spares(injector, chip, 1, spare_rate=0.0)
    assert result.replaced == 1 and result.harm_after == 0
    assert result.chip.layers["fc"].faults == 0
    assert torch.equal(outputs(injector, result.chip, x), clean)


def test_a_fully_stuck_spare_is_never_used() -> None:
    # spare_rate 1: the spare is stuck everywhere, so moving any column there cannot help.
    model = Fc([[1.0, -2.0, 3.0, 4.0], [0.5, 1.5, -1.0, 2.0]])
    injector = FaultInjector(model, toy_mapping(model, rows=4, cols=17))
    chip = chip_of([0], [STUCK_OFF], (2, 4))
    result = apply_spares(injector, chip, 2, spare_rate=1.0)
    assert result.replaced == 0 and result.harm_after == result.harm_before
    assert result.chip.layers["fc"].index.tolist() == [0]


def _block(codes: np.ndarray, off: np.ndarray, on: np.ndarray) -> BlockFaults:
    rows, cols = codes.shape
    return BlockFaults(
        CrossbarBlock("x", 0, 0, 0, rows, 0, cols, 0, 0, 0, 0),
        codes,
        off.astype(np.float64),
        on.astype(np.float64),
        np.arange(rows * cols).reshape(rows, cols),
    )


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 9), st.integers(1, 6), st.integers(0, 10_000))
def test_remap_never_increases_harm_and_permutes(rows: int, cols: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    codes = rng.integers(-127, 128, size=(rows, cols))
    states = rng.choice([0, STUCK_OFF, STUCK_ON], size=(rows, cols), p=[0.7, 0.2, 0.1])
    bf = _block(codes, states == STUCK_OFF, states == STUCK_ON)
    layout = remap_block(bf, 127)
    assert sorted(layout.rows.tolist()) == list(range(rows))
    assert sorted(layout.cols.tolist()) == list(range(cols))
    assert layout.harm_after <= layout.harm_before
    from archsim.faults.blockview import harm

    h_off, h_on = harm(codes, 127)
    assert layout_harm(bf, h_off, h_on, layout.rows, layout.cols) == layout.harm_after


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12), st.integers(1, 5), st.integers(0, 10_000))
def test_faulty_rows_step_reaches_the_square_optimum(rows: int, cols: int, seed: int) -> None:
    # Only the faulty physical rows are assigned; the full R x R Hungarian problem has the
    # same optimal cost, since every logical row costs 0 on a fault-free row.
    from scipy.optimize import linear_sum_assignment

    from archsim.faults.blockview import harm
    from archsim.faults.remap import _rows_step

    rng = np.random.default_rng(seed)
    codes = rng.integers(-127, 128, size=(rows, cols))
    states = rng.choice([0, STUCK_OFF, STUCK_ON], size=(rows, cols), p=[0.75, 0.15, 0.1])
    off, on = (states == STUCK_OFF).astype(float), (states == STUCK_ON).astype(float)
    h_off, h_on = harm(codes, 127)
    square = h_off @ off.T + h_on @ on.T  # cost[r, p]
    r, p = linear_sum_assignment(square)
    found = _rows_step(h_off, h_on, off, on)
    assert sorted(found.tolist()) == list(range(rows))
    assert square[np.arange(rows), found].sum() == square[r, p].sum()


def test_remap_and_spares_keep_a_chips_fault_counts() -> None:
    # Remapping moves faults between weights, never adds or removes one; fault-free spares
    # only remove faults. Drawn on the tiny net's mapping with the sft mix.
    from archsim.faults.chip import ChipDrawer
    from archsim.faults.presets import get_fault_model
    from tests.faults_support import TinyNet

    model = TinyNet(1, 10, 8).eval()
    injector = FaultInjector(model, toy_mapping(model))
    chip = ChipDrawer(injector.sites, get_fault_model("sft")).draw(0.2, 0, 0)
    moved = remap_chip(injector, chip).chip
    spared = apply_spares(injector, chip, 1, spare_rate=0.0).chip
    for name, layer in chip.layers.items():
        for kind in (STUCK_OFF, STUCK_ON):
            assert int((moved.layers[name].kind == kind).sum()) == int((layer.kind == kind).sum())
        assert spared.layers[name].faults <= layer.faults
        assert len(set(moved.layers[name].index.tolist())) == layer.faults
