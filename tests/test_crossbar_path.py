"""The crossbar path over whole models (faults/xbarpath.py, faults/xbarlayer.py).

Invariants: where the ADC is lossless, the fast mode (one conv per layer, saturating columns
bit-true) equals the bit-true mode up to float round-off; without flipped columns a chip's
stuck cells give exactly the old weight-substitution path's weights; ISAAC's own description
is lossless, so the bit-true path scores what the quantized path scores.
"""

import pytest
import torch

from archsim.config.hardware import load_hardware
from archsim.faults.chip import ChipDrawer, draw_chip
from archsim.faults.inject import FaultInjector
from archsim.faults.presets import get_fault_model
from archsim.faults.records import ChipFaults
from archsim.faults.xbarpath import CrossbarSetup
from archsim.hw.precision import AdcRange, ChipPrecision, chip_precision
from archsim.mapping.records import Mapping
from tests.faults_support import digits, toy_mapping, trained_tiny

IMAGES = 64
ROWS = 16  # small crossbars: every layer of TinyNet spans several row blocks


def _precision(
    adc_bits: int, flipped: bool = True, rows: int = ROWS, cell: int = 2
) -> ChipPrecision:
    adc = AdcRange(rows=rows, dac_bits=1, bits_per_cell=cell, adc_bits=adc_bits, flipped=flipped)
    return ChipPrecision(input_bits=16 if cell == 2 else 8, adc=adc)


def _logits(
    model: torch.nn.Module,
    mapping: Mapping,
    precision: ChipPrecision | None,
    chip: ChipFaults | None,
    exact: bool = False,
) -> torch.Tensor:
    images = digits()[2][:IMAGES]
    setup = (
        None
        if precision is None
        else CrossbarSetup(precision=precision, calibration=images, exact=exact)
    )
    injector = FaultInjector(model, mapping, crossbar=setup)
    with injector.applied(chip), torch.no_grad():
        return model(images)


def _chip(model: torch.nn.Module, mapping: Mapping, preset: str, rate: float) -> ChipFaults:
    sites = FaultInjector(model, mapping).sites
    return draw_chip(sites, get_fault_model(preset), rate, 0, 0, ROWS, 128)


@pytest.mark.parametrize("preset", [None, "cell-isaac", "column-isaac"])
def test_fast_mode_equals_bit_true_when_lossless(preset: str | None) -> None:
    # 16 rows x 3 // 2 = 24 -> 5 bits: a 5-bit ADC is lossless; stuck-on columns (48) push
    # past 31, which the fast mode must then run bit-true
    model = trained_tiny()
    mapping = toy_mapping(model, rows=ROWS)
    chip = None if preset is None else _chip(model, mapping, preset, 0.1)
    fast = _logits(model, mapping, _precision(5), chip)
    exact = _logits(model, mapping, _precision(5), chip, exact=True)
    assert (fast - exact).abs().max() <= 1e-4 * exact.abs().max()


@pytest.mark.parametrize(("preset", "flipped"), [("cell-isaac", False), ("dropconnect", True)])
def test_path_weights_are_the_weight_substitution_weights(preset: str, flipped: bool) -> None:
    # without flipped columns a stuck cell holds the state the old path assumes; weight-level
    # faults reprogram the weight's cells whatever the flips: either way the cells hold exactly
    # the codes the old path substitutes (the inputs' calibrated range is the only difference)
    model = trained_tiny()
    mapping = toy_mapping(model, rows=ROWS)
    chip = _chip(model, mapping, preset, 0.05)
    setup = CrossbarSetup(precision=_precision(6, flipped), calibration=digits()[2][:8])
    injector = FaultInjector(model, mapping, crossbar=setup)
    assert injector.path is not None
    injector.path.set_chip(chip)
    old = FaultInjector(model, mapping).faulted_weights(chip)
    for name, layer in injector.path.layers.items():
        expected = torch.round(old[name] / injector.quantized[name].scale)
        assert torch.equal(layer.codes.to(expected.dtype), expected)


def test_lossy_fast_mode_tracks_bit_true() -> None:
    # 8-bit cells, 16 rows: 16 x 255 // 2 = 2040 -> 11 bits; an 8-bit ADC steps by 8. The fast
    # mode's noise equivalent is an approximation: the logits stay within a few percent.
    model = trained_tiny()
    mapping = toy_mapping(model, rows=ROWS, weight_bits=8, bits_per_cell=8)
    precision = _precision(8, cell=8)
    fast = _logits(model, mapping, precision, None)
    exact = _logits(model, mapping, precision, None, exact=True)
    clean = _logits(model, mapping, None, None)
    assert (fast - exact).abs().max() <= 0.2 * exact.abs().max()
    assert (exact - clean).abs().max() > 0  # rounding does reach the logits


def test_isaac_description_is_lossless_on_digits() -> None:
    # ISAAC: 128 rows, 1-bit DAC, 2-bit cells, 8-bit ADC: partial sums <= 192 < 256, lossless.
    # The bit-true path differs from the quantized path only by the inputs' 16-bit rounding:
    # each RRAM input moves by at most max|x| / (2 x 65535), 7.6e-6 of its range, so the
    # logits stay within 1e-3 of their largest magnitude, and every prediction is kept.
    model = trained_tiny()
    mapping = toy_mapping(model, rows=128)
    isaac = chip_precision(load_hardware("isaac"))  # the shipped description
    assert isaac.adc.lossless and isaac.input_bits == 16
    labels = digits()[3][:IMAGES]
    exact = _logits(model, mapping, isaac, None, exact=True)
    quantized = _logits(model, mapping, None, None)
    assert (exact - quantized).abs().max() <= 1e-3 * quantized.abs().max()
    assert torch.equal(exact.argmax(1) == labels, quantized.argmax(1) == labels)


def test_linear_on_token_sequences_saturating_columns() -> None:
    # a Linear on (batch, tokens, features): stuck-on columns (16 x 3 = 48) can reach
    # the 5-bit ADC's saturation (31); the fast mode computes those columns
    # bit-true and writes them along the last dimension
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(40, 6)).eval()
    mapping = toy_mapping(model, rows=ROWS)
    chip = _chip(model, mapping, "column-isaac", 0.3)
    x = torch.randn(4, 5, 40)
    outputs = []
    for exact in (False, True):
        setup = CrossbarSetup(precision=_precision(5), calibration=x, exact=exact)
        injector = FaultInjector(model, mapping, crossbar=setup)
        assert injector.path is not None
        assert injector.path.layers["0"].clipping.numel() == 0  # fault-free: within range
        with injector.applied(chip), torch.no_grad():
            assert injector.path.layers["0"].clipping.numel() > 0
            outputs.append(model(x))
    assert outputs[0].shape == (4, 5, 6)
    assert (outputs[0] - outputs[1]).abs().max() <= 1e-4 * outputs[1].abs().max()


@pytest.mark.slow
def test_isaac_bit_true_scores_the_quantized_accuracy_on_the_digits_test_set() -> None:
    # the same claim as above over the whole digits test split, mapped by the mapper onto the
    # shipped isaac description (every weight layer on RRAM): equal test accuracy. Calibrated
    # on the evaluated images, so that no input leaves its range (calibrated on training
    # images, a few test inputs saturate, which is the input quantizer's range, not the ADC)
    from archsim.mapping.mapper import map_model
    from archsim.mapping.options import MapOptions

    model = trained_tiny()
    hw = load_hardware("isaac")
    _, _, images, labels = digits()
    mapping = map_model(model, tuple(images.shape[1:]), hw, options=MapOptions(policy="all-rram"))
    setup = CrossbarSetup(precision=chip_precision(hw), calibration=images, exact=True)
    results = []
    for crossbar in (setup, None):
        injector = FaultInjector(model, mapping, crossbar=crossbar)
        with injector.applied(None), torch.no_grad():
            results.append(model(images))
    exact, quantized = results
    assert (exact - quantized).abs().max() <= 1e-3 * quantized.abs().max()
    assert int((exact.argmax(1) == labels).sum()) == int((quantized.argmax(1) == labels).sum())


def test_monte_carlo_through_the_path_ignores_chips_per_pass() -> None:
    # the path programs one chip's cells at a time: passes of 3 chips (vmapped weights) would
    # bypass it, so the sampler scores chip by chip and the per-chip accuracies are the same
    from archsim.faults import ChipPlan, MonteCarloSpec, RunInfo, run_chips

    model = trained_tiny()
    mapping = toy_mapping(model, rows=ROWS)
    _, _, x, y = digits()
    x, y = x[:IMAGES], y[:IMAGES]
    setup = CrossbarSetup(precision=_precision(5), calibration=x)
    injector = FaultInjector(model, mapping, crossbar=setup)
    drawer = ChipDrawer(injector.sites, get_fault_model("cell-isaac"), ROWS, 128)
    info = RunInfo("tiny", 1.0, "digits", "test", "test", 16)
    one, three = (
        run_chips(
            injector,
            ChipPlan(drawer, 0.05),
            x,
            y,
            MonteCarloSpec(chips=4, progress=False, chips_per_pass=per_pass),
            info,
        )
        for per_pass in (1, 3)
    )
    assert one.per_chip == three.per_chip
    plain = run_chips(
        FaultInjector(model, mapping),
        ChipPlan(drawer, 0.05),
        x,
        y,
        MonteCarloSpec(chips=4, progress=False),
        info,
    )
    assert plain.per_chip != one.per_chip  # the path (flipped columns) is what was scored
