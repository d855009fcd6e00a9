"""What a stuck weight is, counted on a real chip: ResNet-20 (option A shortcuts) for 1x32x32
images (Fashion-MNIST padded to 32), every conv and the classifier on RRAM (`all-rram`),
8-bit weights in one 8-bit cell each (`isaac-8bit-1cell`, offset encoding), seeded init weights.

Hand derivations (archsim/faults/quantize.py, effects.py, presets.py):
- quantization: per layer, scale = max|w| / 127, code q = round(w / scale) in [-127, 127];
- weight granularity (`dropconnect`, `sft`, `stuck-on`): each weight independently faulty
  with probability `rate`, so a layer of n weights has Binomial(n, rate) faulty weights; a
  faulty weight is stuck-on with probability 9.04 / (1.75 + 9.04) under `sft`, 0 under
  `dropconnect`, 1 under `stuck-on`; stuck-off reads code 0 (weight 0), stuck-on reads
  code +-127 with the sign of its code (a zero code counts as positive), i.e. the weight
  +-127 * scale = sign(w) * max|w| of the layer;
- cell granularity on one 8-bit cell with offset encoding: the cell holds q + 128 in 0..255;
  stuck-off holds 0 -> code -128, weight -128/127 * max|w| (negative, whatever w was);
  stuck-on holds 255 -> code 127, weight +max|w| (positive, whatever w was);
- BatchNorm stays digital and fault-free after each conv: the model with a chip computes as
  the same model given those weights.
"""

import copy

import pytest
import torch
from scipy import stats
from torch import nn

from archsim.faults import ChipDrawer, FaultInjector, get_fault_model
from archsim.faults.models import OK, STUCK_OFF, STUCK_ON
from archsim.mapping.mapper import map_model
from archsim.mapping.options import MapOptions
from archsim.nets import get_net

SHAPE = (1, 32, 32)
P_ON_SFT = 9.04 / (1.75 + 9.04)


@pytest.fixture(scope="module")
def chip_model() -> tuple[nn.Module, FaultInjector]:
    torch.manual_seed(0)
    model = get_net("resnet20", 1.0, 10, 1, seed=0, shortcut="A").eval()
    with torch.no_grad():  # non-trivial BatchNorm, so "BN after the stuck weight" is tested
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.1, 0.1)
    mapping = map_model(model, SHAPE, "isaac-8bit-1cell", options=MapOptions(policy="all-rram"))
    return model, FaultInjector(model, mapping)


def _inside(k: int, n: int, p: float, confidence: float) -> bool:
    lo, hi = stats.binom.interval(confidence, n, p)
    return lo <= k <= hi


def test_every_conv_and_the_fc_are_faultable_8_bit_layers(chip_model: tuple) -> None:
    model, injector = chip_model
    weighted = [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    assert len(weighted) == 20  # stem + 18 block convs + fc (option A shortcuts: no weights)
    assert [s.name for s in injector.sites] == weighted
    assert {q.bits for q in injector.quantized.values()} == {8}
    assert injector.sites[0].name == "conv1" and injector.weights["conv1"].numel() == 144


@pytest.mark.parametrize(
    "preset, p_on", [("sft", P_ON_SFT), ("dropconnect", 0.0), ("stuck-on", 1.0)]
)
def test_faulty_fraction_per_layer_and_stuck_on_share_are_binomial(
    chip_model: tuple, preset: str, p_on: float
) -> None:
    _, injector = chip_model
    rate = 0.02
    drawer = ChipDrawer(injector.sites, get_fault_model(preset))
    per_layer = {s.name: [0, 0] for s in injector.sites}  # (faulty, weights) over 4 chips
    faulty = on = 0
    for chip in range(4):
        for name, states in drawer.draw(rate, seed=0, chip=chip).dense().items():
            per_layer[name][0] += int((states != OK).sum())
            per_layer[name][1] += states.numel()
            faulty += int((states != OK).sum())
            on += int((states == STUCK_ON).sum())
    # 20 layers each within its 99.99 % interval (Bonferroni: all 20 hold with >= 99.8 %)
    for name, (k, n) in per_layer.items():
        assert n == 4 * injector.weights[name].numel()
        assert _inside(k, n, rate, 0.9999), (name, k, n)
    assert _inside(on, faulty, p_on, 0.9999), (on, faulty)


def _forward_weights(model: nn.Module, x: torch.Tensor) -> tuple[dict, torch.Tensor]:
    """The weight each conv / linear module held when the forward pass reached it."""
    seen: dict[str, torch.Tensor] = {}
    hooks = [
        m.register_forward_pre_hook(lambda mod, _, n=n: seen.__setitem__(n, mod.weight.clone()))
        for n, m in model.named_modules()
        if isinstance(m, nn.Conv2d | nn.Linear)
    ]
    try:
        with torch.no_grad():
            out = model(x)
    finally:
        for h in hooks:
            h.remove()
    return seen, out


@pytest.mark.parametrize("preset", ["sft", "cell-isaac"])
def test_each_stuck_weight_reads_the_derived_value_in_the_forward_pass(
    chip_model: tuple, preset: str
) -> None:
    model, injector = chip_model
    floats = {n: w.detach().clone() for n, w in injector.weights.items()}
    chip = ChipDrawer(injector.sites, get_fault_model(preset)).draw(0.05, seed=1, chip=0)
    x = torch.randn(2, *SHAPE, generator=torch.Generator().manual_seed(0))
    with injector.applied(chip) as faulty:
        seen, out = _forward_weights(faulty, x)
    expected = {}
    n_off = n_on = 0
    for name, states in chip.dense().items():
        w = floats[name]
        top = w.abs().max()
        scale = top / 127
        codes = torch.round(w / scale).clamp(-127, 127)
        states = states.reshape(w.shape)  # one cell per weight: cell states = weight states
        if preset == "sft":
            off_value = torch.zeros_like(w)
            on_value = torch.where(codes < 0, -top, top)  # sign(w) * max|w|
        else:
            off_value = torch.full_like(w, -128 / 127) * top  # cell 0 -> code -128
            on_value = torch.full_like(w, 1.0) * top  # cell 255 -> code +127
        value = torch.where(states == STUCK_OFF, off_value, codes * scale)
        value = torch.where(states == STUCK_ON, on_value, value)
        assert torch.allclose(seen[name], value, rtol=1e-6, atol=0), name
        expected[f"{name}.weight"] = value
        n_off += int((states == STUCK_OFF).sum())
        n_on += int((states == STUCK_ON).sum())
    assert n_off > 20 and n_on > 100  # both kinds were exercised (~14 and ~70 per 1000 weights)
    # BatchNorm digital and fault-free: the chip computes as the model given those weights
    reference_model = copy.deepcopy(model)
    with torch.no_grad():
        for name, value in expected.items():
            reference_model.get_parameter(name).copy_(value)
        reference = reference_model(x)
    # logits reach ~1e5 here (stuck weights at max|w| in every layer): float32 sums only
    assert torch.allclose(out, reference, rtol=1e-5, atol=1e-6 * float(out.abs().max()))
    assert torch.equal(model.conv1.weight, floats["conv1"])  # floats back after the chip
