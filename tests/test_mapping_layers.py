"""Layer extraction from zoo nets and from modules written here (no registration needed)."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from archsim.errors import UserError
from archsim.mapping.layers import extract_layers, unused_parameter_modules
from archsim.nets import get_net


class Scale(nn.Module):
    """A user's layer with a parameter the mapper does not know how to map."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.gain = nn.Parameter(torch.ones(channels, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gain


class Tiny(nn.Module):
    """Conv, depthwise conv, a reused conv, a functional ReLU, an unknown layer, Linear."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(1, 4, 3, stride=2, padding=1, bias=True)
        self.dw = nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False)
        self.shared = nn.Conv2d(4, 4, 1, bias=False)
        self.scale = Scale(4)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(4, 3)
        self.unused = nn.Linear(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.stem(x))
        x = self.shared(self.shared(self.dw(x)))
        x = self.pool(self.scale(x))
        return self.head(torch.flatten(x, 1))


def test_user_module_layers_in_execution_order_with_hand_macs() -> None:
    specs = extract_layers(Tiny(), (1, 8, 8))
    names = [s.name for s in specs]
    # F.relu and torch.flatten are functional: invisible, and nothing with weights is lost.
    assert names == ["stem", "dw", "shared", "shared#2", "scale", "pool", "head"]
    by_name = {s.name: s for s in specs}
    stem = by_name["stem"]
    # 8x8 input, stride 2, pad 1 -> 4x4 output; MACs = 4*4 * 4 cout * 1 cin * 3*3 = 576.
    assert (stem.out_shape, stem.macs, stem.params, stem.has_bias) == ((4, 4, 4), 576, 40, True)
    assert stem.stride == (2, 2) and stem.padding == (1, 1)
    # Depthwise: 4*4 pixels * 4 cout * (4/4) cin per group * 9 = 576; matrix 9x1 per group.
    dw = by_name["dw"]
    assert (dw.macs, dw.groups, dw.matrix_rows, dw.matrix_cols) == (576, 4, 9, 1)
    # The reused 1x1 conv appears twice, 4*4*4*4 = 256 MACs per call.
    assert by_name["shared"].macs == by_name["shared#2"].macs == 256
    assert by_name["head"].macs == 4 * 3 and by_name["head"].kind == "linear"
    assert by_name["pool"].kind == "pool" and by_name["pool"].out_shape == (4, 1, 1)
    scale = by_name["scale"]
    assert not scale.supported and "Scale holds 4 parameters" in scale.reason


def test_unused_modules_with_parameters_are_reported() -> None:
    model = Tiny()
    assert unused_parameter_modules(model, extract_layers(model, (1, 8, 8))) == ["unused"]


def test_training_mode_is_restored_and_batchnorm_untouched() -> None:
    model = nn.Sequential(nn.Conv2d(3, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
                          nn.Linear(2 * 6 * 6, 5), nn.BatchNorm1d(5))  # fmt: skip
    model.train()
    model[1].eval()  # mixed modes must come back as they were
    before = model[1].running_mean.clone()
    specs = extract_layers(model, (3, 8, 8))
    assert [s.kind for s in specs] == ["conv", "bn", "act", "flatten", "linear", "bn"]
    assert model.training and not model[1].training and model[5].training
    assert torch.equal(model[1].running_mean, before)
    assert specs[3].out_shape == (72,)


def test_bare_module_and_unmapped_conv_types() -> None:
    specs = extract_layers(nn.Conv2d(2, 3, 1), (2, 5, 5))
    assert [(s.name, s.kind, s.macs) for s in specs] == [("Conv2d", "conv", 5 * 5 * 3 * 2)]
    conv1d = extract_layers(nn.Sequential(nn.Conv1d(2, 3, 3)), (2, 10))[0]
    assert not conv1d.supported and "only 2-D convolutions" in conv1d.reason


def test_bad_input_shape_and_shape_mismatch_are_user_errors() -> None:
    with pytest.raises(UserError, match="input shape must be positive integers"):
        extract_layers(nn.Linear(3, 2), (0, 3))
    with pytest.raises(UserError, match="cannot run on input shape 5"):
        extract_layers(nn.Sequential(nn.Linear(3, 2)), (5,))


def test_resnet20_layers_and_macs() -> None:
    specs = extract_layers(get_net("resnet20", shortcut="1x1"), (3, 32, 32))
    weight = [s for s in specs if s.is_weight_layer]
    assert len(weight) == 22  # 1 stem + 18 block convs + 2 shortcut convs + fc
    adds = [s.name for s in specs if s.kind == "add"]
    assert adds[0] == "layer1.0.add" and len(adds) == 9
    by_name = {s.name: s for s in specs}
    # 1x1 stride-2 shortcut 16 -> 32 on a 16x16 map: 16*16 * 32 * 16 = 131072 MACs.
    assert by_name["layer2.0.shortcut.0"].macs == 131072
    # Option-A ResNet-20 is 40,551,040 MACs (stem 442,368; stage convs 2,359,296 each except
    # the two stride-2 ones at 1,179,648; fc 640), plus the two shortcuts: 131,072 each.
    assert sum(s.macs for s in specs) == 40_551_040 + 2 * 131_072


def test_user_module_maps_without_registration() -> None:
    from archsim.mapping.geometry import Geometry
    from archsim.mapping.mapper import map_model
    from archsim.mapping.options import MapOptions
    from archsim.mapping.summary import summarize

    isaac = Geometry(128, 128, 2, 16, "offset", 8, 12, 168, 64, "isaac")
    m = map_model(
        Tiny(), (1, 8, 8), isaac, model_name="tiny", options=MapOptions(allow_unsupported=True)
    )
    # map_model reads the traced graph: F.relu and torch.flatten are listed too.
    assert [lm.spec.name for lm in m.layers] == [
        "stem", "relu", "dw", "shared", "shared#2", "scale", "pool", "flatten", "head"
    ]  # fmt: skip
    assert [lm.target for lm in m.layers] == [
        "rram", "digital", "rram", "cpu", "cpu", "unsupported", "digital", "digital", "rram"
    ]  # fmt: skip
    # stem 9x4 -> 1 crossbar; dw: 4 groups of 9x1 share one crossbar (14 would fit);
    # head 4x3 -> 1 crossbar. Each layer starts a fresh IMA: 3 IMAs in one tile.
    dw = m.layer("dw")
    assert (dw.crossbars, dw.groups_per_crossbar) == (1, 14)
    assert dw.utilization == pytest.approx(4 * 9 * 8 / 16384)
    s = summarize(m)
    assert (s.crossbars, s.imas, s.tiles, s.chips) == (3, 3, 1, 1)
    # RRAM: stem 576 + dw 576 + head 12; CPU: the reused 1x1 conv, 256 MACs twice.
    assert (m.rram_macs, m.cpu_macs, m.total_macs) == (1164, 512, 1676)
    assert "unsupported (not mapped, MACs unknown): scale" in m.notes
    assert "modules with parameters that never ran (not mapped): unused" in m.notes
