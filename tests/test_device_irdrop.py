"""IR drop along a crossbar's rows and columns (faults/devices.py `IrDrop`), from the
description's `crossbar.wire_ohm`, composed with variation and stuck-at faults in one chip."""

from pathlib import Path

import pytest
import torch
from torch import nn

from archsim.config.hardware import hardware_digest, load_hardware
from archsim.errors import UserError
from archsim.faults.crossbar import CrossbarSpec
from archsim.faults.devices import (
    NEUROSIM_32NM_WIRE_OHM,
    WAN2022,
    DevicePhysics,
    IrDrop,
)
from archsim.faults.models import STUCK_OFF, STUCK_ON
from archsim.faults.quantize import quantize_weight
from archsim.faults.records import LayerFaults
from archsim.faults.sites import CellFormat
from archsim.faults.xbarlayer import CrossbarLayer, InputQuantizer
from archsim.faults.xbarpath import crossbar_note, with_wires


def test_levels_of_a_two_by_two_crossbar_by_hand() -> None:
    """2 rows x 2 columns, 2-bit cells (L = 3) on 0 .. 30 uS (10 uS per level), 1000 ohm per
    segment. Cell (r, c) crosses c + 1 row segments and 2 - r column segments:
    (0, 0): 3 -> 3000 ohm; (0, 1): 4 -> 4000; (1, 0): 2 -> 2000; (1, 1): 3 -> 3000.
    Level 3 (30 uS): G R = 0.09, 0.12, 0.06, 0.09 -> levels 3 / 1.09 = 2.752294,
    3 / 1.12 = 2.678571, 3 / 1.06 = 2.830189, 2.752294. Level 1 (10 uS) at (1, 0):
    10e-6 x 2000 = 0.02 -> 1 / 1.02 = 0.980392. Level 0 (0 uS) stays 0."""
    wires = IrDrop(wire_ohm=1000.0, cols=2, g_min=0.0, g_max=30.0)
    top = wires.levels(torch.full((2, 2), 3.0), 3)
    expected = torch.tensor([[3 / 1.09, 3 / 1.12], [3 / 1.06, 3 / 1.09]])
    assert torch.allclose(top, expected, atol=1e-6)
    mixed = wires.levels(torch.tensor([[0.0, 0.0], [1.0, 0.0]]), 3)
    assert torch.allclose(mixed, torch.tensor([[0.0, 0.0], [1 / 1.02, 0.0]]), atol=1e-6)
    # columns past the crossbar's width wrap: with 1 column, column 1 sits where column 0 does
    narrow = IrDrop(wire_ohm=1000.0, cols=1, g_min=0.0, g_max=30.0)
    assert torch.allclose(narrow.levels(torch.full((2, 2), 3.0), 3)[:, 1], expected[:, 0])


def test_default_wire_is_neurosims_32nm_interconnect() -> None:
    """rho 4.03e-8 ohm m x 80 nm / (40 nm x 40 nm x 1.9) = 3.224e-15 / 3.04e-15 = 1.0605."""
    assert pytest.approx(1.0605, abs=1e-4) == NEUROSIM_32NM_WIRE_OHM


def test_wire_ohm_comes_from_the_description_and_leaves_others_unchanged() -> None:
    hw = load_hardware("isaac")
    assert hw.crossbar.wire_ohm is None
    assert with_wires(DevicePhysics(), hw).ir_drop is None
    wired = hw.model_copy(
        update={"crossbar": hw.crossbar.model_copy(update={"wire_ohm": NEUROSIM_32NM_WIRE_OHM})}
    )
    physics = with_wires(DevicePhysics(), wired)
    assert physics.ir_drop == IrDrop(wire_ohm=NEUROSIM_32NM_WIRE_OHM, cols=128)
    assert "IR drop 1.06" in crossbar_note("fast", wired)[0]
    assert crossbar_note("off", wired)[0].startswith("crossbar path off")
    assert hardware_digest(wired) != hardware_digest(hw)
    explicit = hw.model_copy(update={"crossbar": hw.crossbar.model_copy(update={"wire_ohm": None})})
    assert hardware_digest(explicit) == hardware_digest(hw)


def test_ir_drop_reads_stuck_and_varied_cells_through_the_wires() -> None:
    """One chip with variation, IR drop and stuck cells: every cell, stuck ones included,
    is read as `IrDrop.levels` of what it holds (the rails for stuck cells)."""
    torch.manual_seed(0)
    module = nn.Linear(40, 6, bias=False)
    spec = CrossbarSpec(
        rows=16, input_bits=8, dac_bits=1, adc_bits=12, adc_shift=0,
        cells=CellFormat.of(8, 2, "offset"), analog=True,
    )  # fmt: skip
    wires = IrDrop(wire_ohm=50.0, cols=8)
    inputs = InputQuantizer(scale=1 / 255, signed=False, bits=8)
    quantized = quantize_weight(module.weight, 8)
    plain = CrossbarLayer(module, quantized, spec, inputs, False,
                          DevicePhysics(variation=WAN2022), "fc")  # fmt: skip
    layer = CrossbarLayer(module, quantized, spec, inputs, False,
                          DevicePhysics(variation=WAN2022, ir_drop=wires), "fc")  # fmt: skip
    index = torch.arange(0, 6 * 40 * 4, 7)
    kind = torch.where(index % 2 == 0, STUCK_ON, STUCK_OFF).to(torch.int8)
    faults = LayerFaults((6, 40, 4), index, kind)
    plain.set_chip(faults, "cell", (3, 2))
    layer.set_chip(faults, "cell", (3, 2))
    assert torch.allclose(layer.stored, wires.levels(plain.stored, 3), atol=1e-6)
    position = layer._cell_positions(index)
    rails = plain.stored.reshape(-1)[position]
    assert torch.equal(rails, torch.where(kind == STUCK_ON, 3.0, 0.0))
    # a stuck-on cell far from the driver and the ADC reads below its rail
    assert float(layer.stored.reshape(-1)[position][kind == STUCK_ON].min()) < 3.0
    # the clean chip (no chip key) has neither variation nor IR drop
    layer.set_chip(None, "cell")
    plain.set_chip(None, "cell")
    assert torch.equal(layer.stored, plain.stored)


def test_a_description_file_sets_its_wires_and_nonsense_is_one_error(tmp_path: Path) -> None:
    good = tmp_path / "isaac-wires.yaml"
    good.write_text("base: isaac\ncrossbar:\n  wire_ohm: 1.06\n")
    physics = with_wires(DevicePhysics(), load_hardware(str(good)))
    assert physics.ir_drop == IrDrop(wire_ohm=1.06, cols=128)
    bad = tmp_path / "isaac-bad-wires.yaml"
    bad.write_text("base: isaac\ncrossbar:\n  wire_ohm: -1\n")
    with pytest.raises(UserError, match="wire_ohm"):
        load_hardware(str(bad))
