"""Every replica is a chip part with its own faults, computing the pixels the pipeline deals it.

The network: conv a 3 -> 8 (3x3, padding 1) on 8x8 inputs (64 output pixels, 27 x 64 cells:
one 128x128 crossbar of 2-bit cells holding 16-bit weights, 8 cells each), conv b 8 -> 8
stride 2 (16 pixels, 72 x 64 cells: one crossbar), fc 128 -> 10 (one crossbar). With one
crossbar per tile and 4 tiles, balancing puts q = 32 pixels per replica: a gets
ceil(64 / 32) = 2 replicas, b and fc one each (2 + 1 + 1 = 4 crossbars).
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from archsim.config.hardware import load_hardware
from archsim.faults.chip import ChipDrawer
from archsim.faults.inject import FaultInjector
from archsim.faults.physical import Layout
from archsim.faults.presets import get_fault_model
from archsim.faults.records import ChipFaults, LayerFaults
from archsim.faults.remap import remap_chip
from archsim.faults.replicas import ReplicaLayer
from archsim.faults.sites import crossbar_key, fault_sites
from archsim.faults.xbarpath import CrossbarSetup
from archsim.hw.precision import chip_precision
from archsim.mapping.dealing import Dealing, lane_count
from archsim.mapping.geometry import Geometry
from archsim.mapping.mapper import map_model
from archsim.mapping.options import MapOptions
from archsim.mapping.records import LayerSpec, Mapping
from archsim.perf.stages import Stage

GEOMETRY = Geometry(128, 128, 2, 16, "offset", 1, 1, 4, 1, "flat")


def network(replicate: bool = True) -> tuple[nn.Module, Mapping]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(8, 8, 3, 2, 1),
                          nn.Flatten(), nn.Linear(128, 10)).eval()  # fmt: skip
    options = MapOptions(policy="all-rram", replicate=replicate)
    return model, map_model(model, (3, 8, 8), GEOMETRY, options=options)


def chip(model: nn.Module, mapping: Mapping, faulty: set[tuple[str, int]]) -> ChipFaults:
    """Every weight of the named (layer, copy) stuck off (weight 0), the others fault-free."""
    layers = {}
    for s in fault_sites(model, mapping):
        n = int(torch.Size(s.weight_shape).numel())
        mine = [c for c in range(s.copies) if (s.name, c) in faulty]
        index = torch.cat([torch.arange(c * n, (c + 1) * n) for c in mine] or [torch.zeros(0)])
        index = index.to(torch.int64)
        layers[s.name] = LayerFaults(
            s.weights_shape, index, torch.ones(len(index), dtype=torch.int8)
        )
    return ChipFaults("weight", layers, "test", None)


def test_each_replica_has_its_own_crossbar_and_faults() -> None:
    model, mapping = network()
    assert [lm.replicas for lm in mapping.rram_layers] == [2, 1, 1]
    sites = fault_sites(model, mapping)
    assert [(s.name, s.copies, s.weights_shape) for s in sites] == [
        ("0", 2, (2, 8, 3, 3, 3)), ("1", 1, (8, 8, 3, 3)), ("3", 1, (10, 128))
    ]  # fmt: skip
    assert [b.replica for b in sites[0].blocks] == [0, 1]
    assert len(Layout(sites).keys) == 4  # defect maps cover replica 1's crossbar too
    # replica 0's faults are those of the unreplicated layer; replica 1 draws its own
    drawer = ChipDrawer(sites, get_fault_model("dropconnect"))
    plain = ChipDrawer(fault_sites(*network(False)), get_fault_model("dropconnect"))
    both, one = drawer.draw(0.2, 3, 0).layers["0"], plain.draw(0.2, 3, 0).layers["0"]
    n = 8 * 3 * 9
    assert torch.equal(both.index[both.index < n], one.index)
    assert int((both.index >= n).sum()) > 0


def test_a_half_faulty_two_replica_layer_is_faulty_on_the_pixels_copy_0_computes() -> None:
    # a's 64 pixels form 8 groups of one 8-pixel row (at most 32 groups); lanes =
    # min(ceil(2 / 8), 8) = 1, so the lane's two replicas alternate pixel by pixel, the
    # count continuing across rows (8 per row: even) and images (64 per image: even):
    # copy 0 computes the even columns of every row of every image, copy 1 the odd ones.
    model, mapping = network()
    injector = FaultInjector(model, mapping)
    x = torch.randn(5, 3, 8, 8)
    with torch.no_grad(), injector.session():
        clean = model[0](x)
        with injector.chip(chip(model, mapping, {("0", 0)})):
            mixed = model[0](x)
            logits = model(x)
        with injector.chip(chip(model, mapping, {("0", 0), ("0", 1)})):
            dead = model[0](x)  # both copies faulty: every pixel is the bias alone
    bias = model[0].bias.detach()[None, :, None, None].expand_as(clean)
    assert torch.allclose(dead, bias, atol=1e-6)
    assert torch.allclose(mixed[..., 0::2], dead[..., 0::2], atol=1e-6)  # copy 0's: faulty
    assert torch.allclose(mixed[..., 1::2], clean[..., 1::2], atol=1e-6)  # copy 1's: clean
    # between the two single-copy answers (copy 1 everywhere: no pixel wrong; copy 0
    # everywhere: all 64 per image wrong): exactly the 32 pixels per image dealt to copy 0,
    # 5 x 32 = 160
    wrong = (mixed - clean).abs().amax(1) > 1e-4
    assert int(wrong.sum()) == 5 * 32 and bool(((dead - clean).abs().amax(1) > 1e-4).all())
    # the whole network: copy 0's pixels feed b, so its output differs from the clean one
    with torch.no_grad(), injector.session():
        assert not torch.allclose(logits, model(x), atol=1e-4)


def test_the_dealing_continues_across_batches_and_chips_restart_it() -> None:
    # 3 images fed as 1 + 2: image 1 starts at pixel 64 of the lane, the same as in one batch
    model, mapping = network()
    injector = FaultInjector(model, mapping)
    x = torch.randn(3, 3, 8, 8)
    faults = chip(model, mapping, {("0", 1)})
    with torch.no_grad(), injector.session():
        with injector.chip(faults):
            whole = model(x)
        with injector.chip(faults):
            parts = torch.cat((model(x[:1]), model(x[1:])))
    assert torch.allclose(whole, parts, atol=1e-5)


def naive_dealing(replicas: int, group_pixels: tuple[int, ...], images: int) -> np.ndarray:
    """The pipeline's dealing walked pixel by pixel: groups to lanes round robin across
    images, each lane's pixels round robin over the lane's replicas (r % lanes == lane)."""
    lanes = lane_count(replicas, group_pixels)
    received = [0] * lanes
    out = []
    for image in range(images):
        row = []
        for g, p in enumerate(group_pixels):
            lane = (image * len(group_pixels) + g) % lanes
            mine = list(range(lane, replicas, lanes))
            for _ in range(p):
                row.append(mine[received[lane] % len(mine)])
                received[lane] += 1
        out.append(row)
    return np.array(out)


@settings(max_examples=60, deadline=None)
@given(
    replicas=st.integers(1, 40),
    pixels=st.lists(st.integers(1, 9), min_size=1, max_size=6),
    first=st.integers(0, 7),
    images=st.integers(1, 4),
)
def test_every_pixel_is_dealt_as_the_pipeline_deals_it(
    replicas: int, pixels: list[int], first: int, images: int
) -> None:
    group_pixels = tuple(pixels)
    dealt = Dealing.of(replicas, group_pixels).replicas_of(first, images)
    assert np.array_equal(dealt, naive_dealing(replicas, group_pixels, first + images)[first:])
    lanes = lane_count(replicas, group_pixels)
    stage = Stage("compute", lanes, tuple(1.0 for _ in pixels))
    group_of = np.repeat(np.arange(len(pixels)), pixels)
    for i in range(images):  # the replica serves the lane the performance model gives
        assert (dealt[i] % lanes).tolist() == [stage.lane_of(first + i, int(g)) for g in group_of]


@settings(max_examples=40, deadline=None)
@given(copies=st.integers(1, 12), size=st.integers(2, 6), images=st.integers(1, 3),
       groups=st.sampled_from((1, 2)), stride=st.sampled_from((1, 2)),
       channels=st.sampled_from((2, 32)), dilation=st.sampled_from((1, 2)),
       seed=st.integers(0, 99))  # fmt: skip
def test_unequal_and_equal_shares_equal_each_replica_computing_its_own_pixels(
    copies: int, size: int, images: int, groups: int, stride: int, channels: int,
    dilation: int, seed: int,
) -> None:  # fmt: skip
    # 32 input channels gather each (pixel, kernel position)'s inputs, 2 each (pixel, kernel
    # row)'s (replicas.WIDE_PIXEL); padding = dilation keeps `out` pixels a row
    gen = torch.Generator().manual_seed(seed)
    conv = nn.Conv2d(channels, 4, 3, stride, dilation, dilation, groups)
    out = (size - 1) // stride + 1
    spec = LayerSpec("c", "conv", (channels, size, size), (4, out, out), 0, 0, groups=groups)
    weights = torch.randn(copies, *conv.weight.shape, generator=gen)
    layer = ReplicaLayer(conv, spec, conv.weight.detach(), copies)
    layer.weights.copy_(weights)
    layer.start(True)
    x = torch.randn(images, channels, size, size, generator=gen)
    with torch.no_grad():
        got = layer.forward(x)
        # one output row of `out` pixels per group (at most 32 rows)
        owner = naive_dealing(copies, (out,) * out, images).reshape(images, out, out)
        expected = torch.zeros_like(got)
        for c in range(copies):  # each replica computes its own pixels, naively
            own = F.conv2d(x, weights[c], conv.bias, stride, dilation, dilation, groups)
            mask = torch.from_numpy(owner == c)[:, None].expand_as(own)
            expected[mask] = own[mask]
    assert torch.allclose(got, expected, atol=1e-4)
    assert layer.images == images


def one_copy(model: nn.Module, mapping: Mapping, faults: ChipFaults, copy: int) -> ChipFaults:
    """Copy `copy`'s faults of each layer as the map of an unreplicated chip."""
    layers = {}
    for s in fault_sites(model, mapping):
        lf = faults.layers[s.name]
        units = lf.units // s.copies
        mine = (lf.index // units) == min(copy, s.copies - 1)
        shape = lf.shape[1:] if s.copies > 1 else lf.shape
        layers[s.name] = LayerFaults(shape, lf.index[mine] % units, lf.kind[mine])
    return ChipFaults(faults.kind, layers, faults.fault_model, None)


def test_the_crossbar_path_computes_each_pixel_with_its_copys_cells() -> None:
    # ISAAC's precision (lossless ADC, complemented columns): 10 % stuck-off cells (they never
    # raise a column's sum, so no column can saturate); every pixel of conv a equals the
    # unreplicated crossbar layer programmed with the faults of the copy dealt the pixel
    # (copy 0: even columns, copy 1: odd ones, as derived above)
    model, mapping = network()
    _, plain = network(False)
    precision = chip_precision(load_hardware("isaac"))
    gen = torch.Generator().manual_seed(2)
    setup = CrossbarSetup(precision=precision, calibration=torch.randn(16, 3, 8, 8, generator=gen))
    drawn = ChipDrawer(fault_sites(model, mapping), get_fault_model("cell-isaac")).draw(0.1, 0, 0)
    faults = ChipFaults("cell", {n: LayerFaults(lf.shape, lf.index, torch.ones_like(lf.kind))
                                 for n, lf in drawn.layers.items()}, "cell", 0.1)  # fmt: skip
    x = torch.randn(4, 3, 8, 8, generator=gen)
    injector = FaultInjector(model, mapping, crossbar=setup)
    with torch.no_grad(), injector.session(), injector.chip(faults):
        mixed = model[0](x)
    single = FaultInjector(model, plain, crossbar=setup)
    own = []
    for c in (0, 1):
        with torch.no_grad(), single.session(), single.chip(one_copy(model, mapping, faults, c)):
            own.append(model[0](x))
    assert torch.allclose(mixed[..., 0::2], own[0][..., 0::2], atol=1e-5)
    assert torch.allclose(mixed[..., 1::2], own[1][..., 1::2], atol=1e-5)
    assert not torch.allclose(own[0], own[1], atol=1e-4)  # the copies' faults differ


def test_defect_maps_and_remap_cover_every_replica() -> None:
    # a cell map round-trips through the crossbars of both replicas of conv a (replica 1's
    # faults on its own crossbar); remapping a weight map moves faults within each replica's
    # blocks only, so each copy keeps its number of faulty weights (a permutation per block)
    model, mapping = network()
    sites = fault_sites(model, mapping)
    cells = ChipDrawer(sites, get_fault_model("cell-isaac")).draw(0.05, 1, 0)
    layout = Layout(sites)
    arrays = layout.to_crossbars(cells, 128, 128)
    back, ignored = layout.from_crossbars(arrays)
    assert ignored == 0
    for name, lf in cells.layers.items():
        assert torch.equal(back.layers[name].index, lf.index)
    a = cells.layers["0"]
    n = a.units // 2
    (replica1,) = {crossbar_key(b) for b in sites[0].blocks if b.replica == 1}
    on_replica1 = int((arrays[replica1] != 0).sum())
    assert on_replica1 == int((a.index >= n).sum()) > 0
    weights = ChipDrawer(sites, get_fault_model("dropconnect")).draw(0.1, 1, 0)
    moved = remap_chip(FaultInjector(model, mapping), weights).chip.layers["0"]
    w = weights.layers["0"]
    half = w.units // 2
    assert moved.shape == w.shape
    assert int((moved.index < half).sum()) == int((w.index < half).sum())
    assert int((moved.index >= half).sum()) == int((w.index >= half).sum()) > 0


def test_layers_dealt_alike_share_each_batchs_slots_and_a_new_batch_recomputes_them() -> None:
    model, mapping = network()
    injector = FaultInjector(model, mapping)
    spec = next(lm.spec for lm in mapping.rram_layers if lm.replicas > 1)
    conv = dict(model.named_modules())[spec.name]
    layer = injector.replicas[spec.name]
    twin = ReplicaLayer(conv, spec, conv.weight.detach(), layer.copies, layer.dealt)
    assert twin.dealt is layer.dealt
    for first, images in ((0, 2), (0, 2), (2, 1), (0, 3)):  # a repeat, then new batches
        slot, source, share = layer.dealt.of(first, images, torch.device("cpu"))
        expected, expected_share = layer.dealing.slots(first, images)
        assert share == expected_share and np.array_equal(slot.numpy(), expected)
        assert torch.equal(source[slot], torch.arange(len(slot)))  # each slot's own pixel
    with pytest.raises(ValueError, match="dealt unlike"):
        ReplicaLayer(conv, spec, conv.weight.detach(), layer.copies + 1, layer.dealt)
