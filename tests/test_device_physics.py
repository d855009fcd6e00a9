"""Device physics of the programmed cells (faults/devices.py) and its composition with stuck-at
faults in one chip (faults/xbarlayer.py's `set_chip`)."""

import math
from dataclasses import replace

import pytest
import torch
from torch import nn

from archsim.errors import UserError
from archsim.faults.crossbar import CrossbarSpec, column_sums
from archsim.faults.devices import (
    PCM_NANDAKUMAR,
    WAN2022,
    DevicePhysics,
    device_physics,
    get_variation,
    programmed,
)
from archsim.faults.inject import FaultInjector
from archsim.faults.models import STUCK_OFF, STUCK_ON
from archsim.faults.quantize import quantize_weight
from archsim.faults.records import ChipFaults, LayerFaults
from archsim.faults.sites import CellFormat
from archsim.faults.xbarlayer import CrossbarLayer, InputQuantizer
from archsim.faults.xbarpath import CrossbarSetup
from archsim.hw.precision import AdcRange, ChipPrecision
from tests.faults_support import digits, toy_mapping, trained_tiny

PHYSICS = DevicePhysics(variation=WAN2022)
CHIP = ChipFaults("cell", {}, "none", 0.0, seed=0, chip=0)  # no stuck cells: physics only


def _sigma_by_hand(level: int) -> float:
    """Wan et al.'s cubic at the level's conductance, in levels of 2-bit cells:
    G = 1 + 38.26 l / 3 uS, sigma_G = 1.536e-4 G^3 - 1.167e-2 G^2 + 0.2374 G + 1.053,
    sigma = sigma_G x 3 / 38.26."""
    g = 1.0 + 38.26 * level / 3
    return (1.536e-4 * g**3 - 1.167e-2 * g**2 + 0.2374 * g + 1.053) * 3 / 38.26


def _layer(
    physics: DevicePhysics, analog: bool = True, read_sigma: float = 0.0, exact: bool = False
) -> CrossbarLayer:
    torch.manual_seed(0)
    module = nn.Linear(40, 6, bias=False)
    spec = CrossbarSpec(
        rows=16, input_bits=8, dac_bits=1, adc_bits=12, adc_shift=0,
        cells=CellFormat.of(8, 2, "offset"), analog=analog, read_sigma=read_sigma,
    )  # fmt: skip
    inputs = InputQuantizer(scale=1 / 255, signed=False, bits=8)
    return CrossbarLayer(module, quantize_weight(module.weight, 8), spec, inputs, exact, physics,
                         "fc")  # fmt: skip


def test_variation_has_the_stated_sigma_per_level() -> None:
    # n = 40000 cells per level. Levels 1..3 sit >= 5 sigma above the floor (conductance 0,
    # level -1 x 3 / 38.26 = -0.078), so their errors are unclipped normals: the sample sd
    # has standard error sigma / sqrt(2 (n - 1)) = 0.35 % of sigma; allow 5 of them (1.8 %).
    # Level 0's sigma (0.100) reaches the floor: P(clipped) = Phi(-0.0784 / 0.1003) = 0.217,
    # binomial standard error sqrt(p (1 - p) / n) = 0.0021; allow 5 of them.
    n = 40000
    levels = torch.arange(4.0).repeat_interleave(n).reshape(4, n)
    error = programmed(levels, PHYSICS, 3, (0, 0, "fc")) - levels
    for level in (1, 2, 3):
        sigma = _sigma_by_hand(level)
        assert float(error[level].std()) == pytest.approx(sigma, rel=5 / math.sqrt(2 * n))
        assert abs(float(error[level].mean())) < 5 * sigma / math.sqrt(n)
    floor = -3 / 38.26
    p = 0.5 * math.erfc(-floor / _sigma_by_hand(0) / math.sqrt(2))
    clipped = float((error[0] <= floor + 1e-6).float().mean())
    assert abs(clipped - p) < 5 * math.sqrt(p * (1 - p) / n)
    assert _sigma_by_hand(0) == pytest.approx(0.1003, abs=1e-4)


def test_variation_is_drawn_once_per_chip_from_its_seed() -> None:
    layer = _layer(PHYSICS)
    clean = _layer(DevicePhysics()).stored
    draws = {}
    for key in ((0, 0), (0, 1), (1, 0), (0, 0)):
        layer.set_chip(None, "cell", key)
        draws.setdefault(key, []).append(layer.stored.clone())
    first, again = draws[(0, 0)]
    assert torch.equal(first, again)  # the same chip, the same cells
    assert not torch.equal(first, draws[(0, 1)][0])  # another chip of the seed
    assert not torch.equal(first, draws[(1, 0)][0])  # another seed
    assert not torch.equal(first, clean)
    assert (first - clean).abs().max() < 1.0  # about 0.1-0.2 levels, never a level off
    # the fast weights are the real-valued codes the cells hold
    assert not torch.equal(layer.codes, torch.round(layer.codes))
    layer.set_chip(None, "cell")  # no chip: the clean quantized weights, no physics
    assert torch.equal(layer.stored, clean)


def test_stuck_cells_override_the_variation() -> None:
    layer = _layer(PHYSICS)
    layer.set_chip(None, "cell", (3, 2))
    varied = layer.stored.clone()
    cells = 6 * 40 * 4  # weight shape (6, 40) x 4 cells
    index = torch.arange(0, cells, 7)
    kind = torch.where(index % 2 == 0, STUCK_ON, STUCK_OFF).to(torch.int8)
    layer.set_chip(LayerFaults((6, 40, 4), index, kind), "cell", (3, 2))
    position = layer._cell_positions(index)
    held = layer.stored.reshape(-1)[position]
    assert torch.equal(held, torch.where(kind == STUCK_ON, 3.0, 0.0))  # exactly the rails
    others = torch.ones(layer.stored.numel(), dtype=torch.bool)
    others[position] = False
    assert torch.equal(layer.stored.reshape(-1)[others], varied.reshape(-1)[others])


@pytest.mark.parametrize(
    "text", ["bogus", "rram-wan2022:-1", "rram-wan2022:nan", "rram-wan2022:0", "rram-wan2022:x"]
)
def test_nonsense_variation_is_one_error_line(text: str) -> None:
    with pytest.raises(UserError) as caught:
        get_variation(text)
    assert "\n" not in str(caught.value)


def test_multiplier_scales_sigma() -> None:
    levels = torch.tensor([2.0])
    three = get_variation("rram-wan2022:3")
    assert float(three.level_sigma(levels, 3)) == pytest.approx(3 * _sigma_by_hand(2), rel=1e-6)


@pytest.mark.slow
def test_fast_and_bit_true_under_a_vanishing_variation() -> None:
    # cells hold real levels: bit-true rounds every partial sum (unit-step ADC), the fast mode
    # computes with the real levels (no rounding: a stated approximation). A variation of
    # 1e-6 x Wan's sigma moves no partial sum across a rounding boundary: bit-true is the
    # clean chip exactly, fast within 1e-6 x (cell errors x 2**14 MSB weight); the fitted
    # sigma moves the logits
    model = trained_tiny()
    mapping = toy_mapping(model, rows=16)
    images = digits()[2][:8]
    adc = AdcRange(rows=16, dac_bits=1, bits_per_cell=2, adc_bits=5, flipped=True)
    precision = ChipPrecision(input_bits=16, adc=adc)

    def logits(exact: bool, physics: DevicePhysics) -> torch.Tensor:
        setup = CrossbarSetup(precision=precision, calibration=images, exact=exact,
                              physics=physics)  # fmt: skip
        with FaultInjector(model, mapping, crossbar=setup).applied(CHIP), torch.no_grad():
            return model(images)

    tiny = DevicePhysics(variation=get_variation("rram-wan2022:1e-6"))
    clean = logits(True, DevicePhysics())
    assert (logits(True, tiny) - clean).abs().max() <= 1e-5 * clean.abs().max()
    assert (logits(False, tiny) - clean).abs().max() <= 1e-4 * clean.abs().max()
    assert (logits(True, PHYSICS) - clean).abs().max() > 0.05 * clean.abs().max()


def test_read_noise_has_the_stated_variance_at_one_column() -> None:
    # 4 rows, 2-bit unsigned inputs x = (3, 1, 0, 2) through a 1-bit DAC: cycle 1 (weight 1)
    # drives digits (1, 1, 0, 0), cycle 2 (weight 2) digits (1, 0, 0, 1). Each reading gets
    # N(0, sigma^2 x its count of driven rows), so the shift-and-added column has variance
    # sigma^2 (1^2 x 2 + 2^2 x 2) = 10 sigma^2 = 2.5 at sigma = 0.5, and mean x . g = 3 x 1 +
    # 1 x 2 + 0 + 2 x 3 = 11. n = 20000 readings: the sample variance's standard error is
    # 2.5 sqrt(2 / n) = 1 %; allow 5 %; the mean's 0.011; allow 0.06.
    n = 20000
    spec = CrossbarSpec(rows=4, input_bits=2, dac_bits=1, adc_bits=12, adc_shift=0,
                        cells=CellFormat.of(2, 2, "offset"), flip=False,
                        read_sigma=0.5)  # fmt: skip
    x = torch.tensor([[3.0, 1.0, 0.0, 2.0]]).repeat(n, 1)
    stored = torch.tensor([[1.0], [2.0], [0.0], [3.0]])
    generator = torch.Generator().manual_seed(1)
    sums = column_sums(x, stored, torch.zeros(1, 1, dtype=torch.bool), spec, False, generator)
    assert float(sums.var()) == pytest.approx(2.5, rel=0.05)
    assert abs(float(sums.mean()) - 11.0) < 0.06


@pytest.mark.parametrize("exact", [False, True])
def test_read_noise_at_the_output_fast_and_bit_true(exact: bool) -> None:
    # one Linear layer, 8-bit weights in four 2-bit cells (slice weights 4**3, 4**2, 4, 1:
    # sum of squares 4369), 8-bit inputs through a 1-bit DAC: input code c adds
    # sum_t 4**t [bit t of c] to the cycles' weighted count. Codes 255 on rows 0..9 and 5 on
    # rows 10..19: 10 x (4**8 - 1) / 3 + 10 x (1 + 16) = 218620. Output variance in integer
    # units: sigma^2 x 218620 x 4369 (fast: the sum of every reading's noise at the output;
    # bit-true: drawn per reading). 3000 outputs per column, 6 columns pooled: the variance's
    # standard error is sqrt(2 / 18000) = 1.1 %; allow 5 %.
    sigma = 0.3
    layer = _layer(DevicePhysics(), analog=False, read_sigma=sigma, exact=exact)
    codes = torch.zeros(40)
    codes[:10], codes[10:20] = 255, 5
    x = (codes / 255).repeat(3000, 1)
    y = layer.forward(x) / (layer.inputs.scale * float(layer.quantized.scale))
    expected = sigma**2 * 218620 * 4369
    variance = float(((y - y.mean(0)) ** 2).sum() / (y.numel() - 6))
    assert variance == pytest.approx(expected, rel=0.05)


def test_drift_follows_the_power_law_at_two_times() -> None:
    # without spread nu = mu(g), g = level / 255 (8-bit cells): level 255: mu = clip(0.0244,
    # 0.049, 0.1) = 0.049; level 10: ln(10 / 255) = -3.2387, mu = 0.0155 x 3.2387 + 0.0244
    # = 0.07460. G(t) = G(0) ((t + 20) / 20)^-nu: at t = 180 s the ratio is 10, at 19980 s 1000.
    fixed = replace(PCM_NANDAKUMAR, sigma=(0.0, 0.0, 0.0, 0.0))
    levels = torch.tensor([255.0, 10.0])
    for time, ratio in ((180.0, 10.0), (19980.0, 1000.0)):
        physics = DevicePhysics(drift=fixed, time=time)
        drifted = programmed(levels, physics, 255, (0, 0, "fc"))
        expected = [255 * ratio**-0.049, 10 * ratio**-0.07460]
        assert drifted.tolist() == pytest.approx(expected, rel=2e-4)


def test_drift_exponent_spread_per_cell() -> None:
    # level 255: sigma_nu = clip(-0.0059, 0.008, 0.045) = 0.008, nu = |N(0.049, 0.008^2)|
    # (the fold changes nothing 6 sigma from 0); nu = -ln(G(t) / G(0)) / ln(ratio). n = 40000:
    # the sd's standard error is 0.35 %; allow 2 %.
    n = 40000
    physics = DevicePhysics(drift=PCM_NANDAKUMAR, time=180.0)
    drifted = programmed(torch.full((n,), 255.0), physics, 255, (0, 0, "fc"))
    nu = -torch.log(drifted.double() / 255) / math.log(10.0)
    assert float(nu.std()) == pytest.approx(0.008, rel=0.02)
    assert float(nu.mean()) == pytest.approx(0.049, abs=5 * 0.008 / math.sqrt(n))


@pytest.mark.parametrize(
    ("drift", "time"),
    [("pcm-nandakumar2019", None), (None, 10.0), ("bogus", 1.0),
     ("pcm-nandakumar2019", -1.0), ("pcm-nandakumar2019", math.nan)],
)  # fmt: skip
def test_nonsense_drift_is_one_error_line(drift: str | None, time: float | None) -> None:
    with pytest.raises(UserError) as caught:
        device_physics(None, None, drift, time)
    assert "\n" not in str(caught.value)


def test_sweep_faults_carry_the_physics_and_refuse_nonsense() -> None:
    from pydantic import ValidationError

    from archsim.explore.spec import Faults

    faults = Faults(rates=[0.1], variation="rram-wan2022:0.5", drift="pcm-nandakumar2019",
                    time=3600.0)  # fmt: skip
    assert faults.physics() == {"variation": "rram-wan2022:0.5", "drift": "pcm-nandakumar2019",
                                "time": 3600.0}  # fmt: skip
    assert Faults(rates=[0.1]).physics() == {}  # no physics: the job configs are unchanged
    for bad in ({"read_noise": "rram-read-1pct:-2"}, {"time": 5.0},
                {"variation": "rram-wan2022", "crossbar": "off"}):  # fmt: skip
        with pytest.raises(ValidationError):
            Faults.model_validate({"rates": [0.1], **bad})
