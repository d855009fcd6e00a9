"""The crossbar path computes each pixel of a replicated layer with the cells of its replica,
in the fast mode (saturating columns included), bit-true and under device physics.

The network and its dealing are those of tests/test_faults_replicas.py: conv a (3 -> 8, 3x3,
padding 1, 8x8 inputs: 64 pixels per image) has 2 replicas in one lane, so copy 0 computes
the even output columns of every row of every image and copy 1 the odd ones: 32 pixels per
image each. Its weights (8 x 27 = 216) have 8 cells each (16-bit weights, 2-bit cells), 1728
cells per copy; a cell map of conv a has shape (2, 8, 3, 3, 3, 8).
"""

import pytest
import torch

from archsim.faults.chip import ChipDrawer
from archsim.faults.devices import (
    NO_PHYSICS,
    DevicePhysics,
    IrDrop,
    device_physics,
    programmed,
    programmed_copies,
)
from archsim.faults.inject import FaultInjector
from archsim.faults.models import STUCK_ON
from archsim.faults.presets import get_fault_model
from archsim.faults.records import ChipFaults, LayerFaults
from archsim.faults.replicas import replica_note
from archsim.faults.sites import fault_sites
from archsim.faults.xbarpath import CrossbarSetup
from archsim.hw.precision import AdcRange, ChipPrecision
from archsim.mapping.records import Mapping
from tests.test_faults_replicas import chip, network, one_copy

CELLS = 1728  # cells of one copy of conv a
IMAGES = 4


def precision(rows: int, adc_bits: int) -> ChipPrecision:
    """A 1-bit DAC, 2-bit cells (flipped columns), 16-bit inputs."""
    adc = AdcRange(rows=rows, dac_bits=1, bits_per_cell=2, adc_bits=adc_bits, flipped=True)
    return ChipPrecision(input_bits=16, adc=adc)


# 128 rows: partial sums <= 128 x 3 // 2 = 192 < 255, an 8-bit ADC is lossless
LOSSLESS = precision(128, 8)
# 16 rows: partial sums <= 24 need 5 bits; a 4-bit ADC counts in steps of 2 (15 x 2 >= 24)
# and saturates at 15.5 x 2 = 31: a block column of 16 cells stuck on (48) does
LOSSY = precision(16, 4)


def inputs() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(2)
    return torch.randn(16, 3, 8, 8, generator=gen), torch.randn(IMAGES, 3, 8, 8, generator=gen)


def conv_a(
    mapping: Mapping,
    faults: ChipFaults | None,
    chosen: ChipPrecision,
    exact: bool,
    physics: DevicePhysics = NO_PHYSICS,
) -> torch.Tensor:
    """Conv a's output on the crossbar path for chip `faults` (None: no chip set)."""
    model, _ = network()
    calibration, x = inputs()
    setup = CrossbarSetup(precision=chosen, calibration=calibration, exact=exact, physics=physics)
    injector = FaultInjector(model, mapping, crossbar=setup)
    with torch.no_grad(), injector.applied(faults):
        return model[0](x)


def only_copy_0(faults: ChipFaults) -> ChipFaults:
    """`faults` with conv a's copy 1 fault-free (its other layers as drawn)."""
    a = faults.layers["0"]
    mine = a.index < CELLS
    layers = dict(faults.layers)
    layers["0"] = LayerFaults(a.shape, a.index[mine], a.kind[mine])
    return ChipFaults(faults.kind, layers, faults.fault_model, faults.rate)


def drawn(mapping: Mapping, rate: float) -> ChipFaults:
    model, _ = network()
    return ChipDrawer(fault_sites(model, mapping), get_fault_model("cell-isaac")).draw(rate, 0, 0)


def test_bit_true_gives_copy_0s_pixels_its_faults_and_copy_1s_the_fault_free_answer() -> None:
    # every weight of copy 0 stuck off (code 0): its pixels are the bias alone, exactly (no
    # active cell column reads anything but the offset, which is subtracted); copy 1 is
    # fault-free: its pixels are the unreplicated fault-free chip's. Wrong pixels: copy 0's
    # 32 per image, 4 x 32 = 128, between the two single-copy answers (0 and 4 x 64)
    model, mapping = network()
    _, plain = network(False)
    mixed = conv_a(mapping, chip(model, mapping, {("0", 0)}), LOSSLESS, exact=True)
    clean = conv_a(plain, None, LOSSLESS, exact=True)
    bias = model[0].bias.detach()[None, :, None, None].expand_as(clean)
    assert torch.allclose(mixed[..., 0::2], bias[..., 0::2], atol=1e-6)
    assert torch.allclose(mixed[..., 1::2], clean[..., 1::2], atol=1e-6)
    wrong = (mixed - clean).abs().amax(1) > 1e-4
    assert int(wrong.sum()) == IMAGES * 32


@pytest.mark.parametrize("exact", [True, False])
def test_drawn_cell_faults_on_copy_0_reach_exactly_copy_0s_pixels(exact: bool) -> None:
    # 30 % cell-isaac faults (stuck on and off) on copy 0 only, through the lossy 4-bit ADC
    # (bit-true: rounding and saturation; fast: the rounding's noise equivalent, saturating
    # columns bit-true): copy 0's pixels equal the unreplicated chip holding copy 0's faults,
    # copy 1's the unreplicated chip holding copy 1's (none in conv a), the same chip key
    # (so the same noise draws)
    model, mapping = network()
    _, plain = network(False)
    faults = only_copy_0(drawn(mapping, 0.3))
    mixed = conv_a(mapping, faults, LOSSY, exact)
    own = [conv_a(plain, one_copy(model, mapping, faults, c), LOSSY, exact) for c in (0, 1)]
    assert torch.allclose(mixed[..., 0::2], own[0][..., 0::2], atol=1e-5)
    assert torch.allclose(mixed[..., 1::2], own[1][..., 1::2], atol=1e-5)
    assert not torch.allclose(own[0][..., 0::2], own[1][..., 0::2], atol=1e-3)


@pytest.mark.parametrize("exact", [True, False])
def test_weight_faults_on_both_copies_reach_each_copys_pixels(exact: bool) -> None:
    # a third of conv a's weights of each copy stuck (on: +-qmax, whose cells can saturate
    # the 4-bit ADC; off: 0), drawn by hand: each copy's pixels equal the unreplicated chip
    # holding that copy's faults
    model, mapping = network()
    _, plain = network(False)
    gen = torch.Generator().manual_seed(5)
    index = torch.nonzero(torch.rand(2 * 216, generator=gen) < 1 / 3).reshape(-1)
    kind = torch.randint(1, 3, (len(index),), generator=gen, dtype=torch.int8)
    layers = {s.name: LayerFaults(s.weights_shape, index[:0], kind[:0])
              for s in fault_sites(model, mapping)}  # fmt: skip
    layers["0"] = LayerFaults((2, 8, 3, 3, 3), index, kind)
    faults = ChipFaults("weight", layers, "test", None)
    mixed = conv_a(mapping, faults, LOSSY, exact)
    own = [conv_a(plain, one_copy(model, mapping, faults, c), LOSSY, exact) for c in (0, 1)]
    assert torch.allclose(mixed[..., 0::2], own[0][..., 0::2], atol=1e-5)
    assert torch.allclose(mixed[..., 1::2], own[1][..., 1::2], atol=1e-5)
    assert not torch.allclose(own[0], own[1], atol=1e-3)


def test_both_copies_faulty_with_different_saturating_columns() -> None:
    # 20 % cell-isaac on both copies (seed 0, chip 0): copy 0 may saturate the ADC in weight
    # columns 0, 2, 4, 6, 7 and copy 1 in 0, 1, 6, 7 (4 of its 5 slots, one padding); each
    # copy's pixels equal the unreplicated chip holding that copy's faults, fast mode
    model, mapping = network()
    _, plain = network(False)
    faults = drawn(mapping, 0.2)
    calibration, x = inputs()
    setup = CrossbarSetup(precision=LOSSY, calibration=calibration)
    injector = FaultInjector(model, mapping, crossbar=setup)
    assert injector.path is not None
    with torch.no_grad(), injector.applied(faults):
        clipping = injector.path.copies["0"].clipping
        assert clipping is not None
        chosen = [[int(c) for c, v in zip(*row, strict=True) if v]
                  for row in zip(clipping.cols, clipping.valid, strict=True)]  # fmt: skip
        assert chosen == [[0, 2, 4, 6, 7], [0, 1, 6, 7]]
        mixed = model[0](x)
    own = [conv_a(plain, one_copy(model, mapping, faults, c), LOSSY, False) for c in (0, 1)]
    assert torch.allclose(mixed[..., 0::2], own[0][..., 0::2], atol=1e-5)
    assert torch.allclose(mixed[..., 1::2], own[1][..., 1::2], atol=1e-5)


def test_a_saturating_column_of_copy_0_runs_bit_true_on_copy_0s_pixels_only() -> None:
    # every cell of output channel 3 of copy 0 stuck on: each of its cell columns holds 16
    # cells at 3 per 16-row block (48 > 31), so it may saturate the 4-bit ADC; no other
    # column of either copy can (fault-free bound 24). The fast mode must run (copy 0,
    # column 3) bit-true, and only it: its outputs on copy 0's pixels (4 x 32 values) equal
    # the bit-true chip's; every other output equals the fault-free chip's fast output with
    # the same noise draws (same chip key), copy 1's pixels of channel 3 included
    model, mapping = network()
    index = torch.arange(3 * 27 * 8, 4 * 27 * 8)  # copy 0, output channel 3, all its cells
    shape = (2, 8, 3, 3, 3, 8)
    stuck = {"0": LayerFaults(shape, index, torch.full((len(index),), STUCK_ON, dtype=torch.int8))}
    for s in fault_sites(model, mapping)[1:]:
        empty = torch.zeros(0, dtype=torch.int64)
        stuck[s.name] = LayerFaults(s.cell_shape, empty, empty.to(torch.int8))
    faulty = ChipFaults("cell", stuck, "test", None, seed=0, chip=0)
    none = {n: LayerFaults(lf.shape, lf.index[:0], lf.kind[:0]) for n, lf in stuck.items()}
    clean = ChipFaults("cell", none, "test", None, seed=0, chip=0)
    calibration, x = inputs()
    setup = CrossbarSetup(precision=LOSSY, calibration=calibration)
    injector = FaultInjector(model, mapping, crossbar=setup)
    assert injector.path is not None
    with torch.no_grad(), injector.session():
        with injector.chip(faulty):
            clipping = injector.path.copies["0"].clipping
            assert clipping is not None
            assert clipping.copies.tolist() == [0] and clipping.cols.tolist() == [[3]]
            fast = model[0](x)
        with injector.chip(clean):
            assert injector.path.copies["0"].clipping is None
            reference = model[0](x)
    exact = conv_a(mapping, faulty, LOSSY, exact=True)
    copy_0 = torch.zeros_like(fast, dtype=torch.bool)
    copy_0[:, 3, :, 0::2] = True  # the 4 x 32 values computed bit-true
    assert torch.allclose(fast[~copy_0], reference[~copy_0], atol=1e-5)
    assert torch.allclose(fast[copy_0], exact[copy_0], atol=1e-5)
    assert int(((fast - reference).abs() > 1e-3)[copy_0].sum()) > IMAGES * 32 // 2
    # bit-true copy 1's pixels would differ from the fast mode's (its rounding noise)
    copy_1 = torch.zeros_like(copy_0)
    copy_1[:, 3, :, 1::2] = True
    assert not torch.allclose(fast[copy_1], exact[copy_1], atol=1e-5)


@pytest.mark.parametrize("exact", [True, False])
def test_ir_drop_with_copy_0_faulty_deals_its_pixels(exact: bool) -> None:
    # IR drop (deterministic: the same in every copy, 50 ohm per wire segment) with copy 0's
    # drawn faults: under device physics too, copy 0's pixels are the unreplicated chip
    # with copy 0's faults and copy 1's the fault-free unreplicated chip, both with IR drop
    model, mapping = network()
    _, plain = network(False)
    physics = DevicePhysics(ir_drop=IrDrop(wire_ohm=50.0, cols=128))
    faults = only_copy_0(drawn(mapping, 0.1))
    mixed = conv_a(mapping, faults, LOSSLESS, exact, physics)
    own = [
        conv_a(plain, one_copy(model, mapping, faults, c), LOSSLESS, exact, physics) for c in (0, 1)
    ]
    assert torch.allclose(mixed[..., 0::2], own[0][..., 0::2], atol=1e-5)
    assert torch.allclose(mixed[..., 1::2], own[1][..., 1::2], atol=1e-5)
    no_drop = conv_a(plain, one_copy(model, mapping, faults, 1), LOSSLESS, exact)
    assert not torch.allclose(own[1], no_drop, atol=1e-6)  # the drop shows


@pytest.mark.parametrize("exact", [True, False])
def test_each_replica_draws_its_own_variation_and_replica_0_keeps_the_layers(exact: bool) -> None:
    # programming variation, no stuck cells: copy 0's pixels are the unreplicated chip's
    # (replica 0 draws from the layer's own stream); copy 1's come from its own draw, so they
    # differ from both that chip's and the fault-free ones
    model, mapping = network()
    _, plain = network(False)
    physics = device_physics("rram-wan2022:3")
    empty = ChipFaults("cell", {n: LayerFaults(lf.shape, lf.index[:0], lf.kind[:0])
                                for n, lf in drawn(mapping, 0.1).layers.items()},
                       "test", 0.0, seed=0, chip=0)  # fmt: skip
    mixed = conv_a(mapping, empty, LOSSLESS, exact, physics)
    one = conv_a(plain, one_copy(model, mapping, empty, 0), LOSSLESS, exact, physics)
    clean = conv_a(plain, None, LOSSLESS, exact)
    assert torch.allclose(mixed[..., 0::2], one[..., 0::2], atol=1e-5)
    assert not torch.allclose(mixed[..., 1::2], one[..., 1::2], atol=1e-3)
    assert not torch.allclose(mixed[..., 1::2], clean[..., 1::2], atol=1e-3)


def test_programmed_copies_keep_replica_0s_stream() -> None:
    stored = torch.full((3, 2, 5), 2.0)
    physics = device_physics("rram-wan2022", drift="pcm-nandakumar2019", time=10.0)
    copies = programmed_copies(stored, physics, 3, (1, 2, "layer"))
    assert torch.equal(copies[0], programmed(stored[0], physics, 3, (1, 2, "layer")))
    assert torch.equal(copies[1:], programmed(stored[1:], physics, 3, (1, 2, "layer@replicas")))
    assert not torch.equal(copies[0], copies[1])


@pytest.mark.parametrize(
    ("exact", "physics", "expected"),
    [  # conv a, b and fc unreplicated, 30 % cell-isaac (seed 0, chip 0), the lossy 4-bit ADC;
        # logits[:, 0] of the 4 images, printed by the same script run on the code before
        # replicas were computed per copy on every mode (round(v, 8))
        (False, None, [0.09066415, 0.59290832, 0.33638209, 0.02933368]),
        (False, "rram-wan2022", [-0.32228157, 0.42537001, 0.19396308, -0.16418472]),
        (True, None, [-0.10555959, 0.60511464, 0.06061022, -0.11939883]),
        (True, "rram-wan2022", [-0.21245012, 0.2781274, 0.20238733, 0.19429237]),
    ],
)
def test_an_unreplicated_chip_computes_as_before(
    exact: bool, physics: str | None, expected: list[float]
) -> None:
    model, plain = network(False)
    chosen = device_physics(physics, "rram-read-1pct" if physics else None)
    calibration, x = inputs()
    setup = CrossbarSetup(precision=LOSSY, calibration=calibration, exact=exact, physics=chosen)
    injector = FaultInjector(model, plain, crossbar=setup)
    faults = drawn(plain, 0.3)
    assert injector.path is not None and not injector.path.copies
    with torch.no_grad(), injector.applied(faults):
        if not exact and physics is None:  # the fast mode's saturating columns are exercised
            assert injector.path.layers["0"].clipping.numel() > 0
        logits = model(x)
    assert logits[:, 0].tolist() == pytest.approx(expected, abs=1e-7)


def test_the_note_says_every_replica_computes_its_pixels() -> None:
    _, mapping = network()
    (note,) = replica_note(mapping, "the budget's balanced mapping", True)
    assert "every replica faulted, each computing the pixels dealt to it" in note
    assert "replica 0" not in note
