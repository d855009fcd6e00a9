"""Placement policies and per-layer overrides on ResNet-20 with 1x1 projection shortcuts."""

from functools import cache

import pytest
import torch
from torch import nn

from archsim.errors import UserError
from archsim.mapping.geometry import Geometry
from archsim.mapping.layers import extract_layers
from archsim.mapping.mapper import map_model, map_specs
from archsim.mapping.options import MapOptions
from archsim.mapping.policy import assign_targets, parse_override
from archsim.mapping.records import LayerSpec, Mapping
from archsim.nets import get_net

ISAAC = Geometry(128, 128, 2, 16, "offset", 8, 12, 168, 64, "isaac")
SHORTCUTS = ("layer2.0.shortcut.0", "layer3.0.shortcut.0")


@cache
def resnet20_specs() -> tuple[LayerSpec, ...]:
    return tuple(extract_layers(get_net("resnet20", shortcut="1x1"), (3, 32, 32)))


def mapping(policy: str = "cpu-1x1", overrides: tuple[str, ...] = ()) -> Mapping:
    return map_specs(
        resnet20_specs(),
        ISAAC,
        input_shape=(3, 32, 32),
        model_name="resnet20",
        options=MapOptions(policy=policy, overrides=overrides),
    )


def targets(m: Mapping, *names: str) -> list[str]:
    return [m.layer(name).target for name in names]


def test_default_sends_1x1_convs_to_the_cpu_and_says_where_ends_go() -> None:
    m = mapping()
    assert targets(m, *SHORTCUTS) == ["cpu", "cpu"]
    assert targets(m, "conv1", "layer1.0.conv1", "fc") == ["rram", "rram", "rram"]
    assert targets(m, "bn1", "layer1.0.add", "pool", "flatten") == ["digital"] * 4
    assert "first conv: conv1 -> rram" in m.notes and "classifier: fc -> rram" in m.notes
    # Each shortcut is 131,072 MACs (16x16*32*16 and 8x8*64*32); they are the only CPU work.
    assert m.cpu_macs == 262_144
    assert m.rram_macs + m.cpu_macs == m.total_macs


def test_all_rram_and_cpu_1x1_ends() -> None:
    # All on RRAM: shortcut 16x32 -> 1 * ceil(32/16) = 2 crossbars; 32x64 -> 1 * 4 = 4.
    m = mapping("all-rram")
    assert [m.layer(n).crossbars for n in SHORTCUTS] == [2, 4]
    assert m.cpu_macs == 0
    ends = mapping("cpu-1x1-ends")
    assert targets(ends, "conv1", "fc", *SHORTCUTS) == ["cpu"] * 4
    assert "first conv: conv1 -> cpu" in ends.notes
    # CPU MACs: stem 32*32*16*27 = 442,368 + fc 640 + shortcuts 262,144.
    assert ends.cpu_macs == 442_368 + 640 + 262_144


def test_cpu_ends_and_first_conv_rram() -> None:
    # cpu-ends differs from cpu-1x1-ends only in the two 1x1 shortcuts, now on crossbars
    ends = mapping("cpu-ends")
    assert targets(ends, "conv1", "fc", *SHORTCUTS) == ["cpu", "cpu", "rram", "rram"]
    assert ends.cpu_macs == 442_368 + 640  # stem + fc, as above
    # first-conv-rram: the stem (32*32*16*27 MACs) is the only RRAM work
    stem = mapping("first-conv-rram")
    assert targets(stem, "conv1", "layer1.0.conv1", "fc", *SHORTCUTS) == ["rram"] + ["cpu"] * 4
    assert stem.rram_macs == 442_368
    assert stem.rram_macs + stem.cpu_macs == stem.total_macs


def test_overrides_with_globs_in_order_last_wins() -> None:
    m = mapping(overrides=("layer*.shortcut.0=rram", "conv1=cpu"))
    assert targets(m, *SHORTCUTS, "conv1") == ["rram", "rram", "cpu"]
    assert "override layer*.shortcut.0" in m.layer(SHORTCUTS[0]).reason
    assert m.overrides == ("layer*.shortcut.0=rram", "conv1=cpu")
    later = mapping(overrides=("layer3.*=cpu", "layer3.2.conv2=rram"))
    assert targets(later, "layer3.1.conv1", "layer3.2.conv2") == ["cpu", "rram"]


@pytest.mark.parametrize(
    ("policy", "overrides", "message"),
    [
        ("cpu-2x2", (), "unknown policy 'cpu-2x2'; choose one of cpu-1x1, cpu-1x1-ends, all-rram"),
        ("cpu-1x1", ("layer9.*=cpu",), "override layer9.\\*=cpu matches no conv or linear"),
        ("cpu-1x1", ("bn1=cpu",), "matches no conv or linear layer"),
        ("cpu-1x1", ("fc=gpu",), "must look like NAME=TARGET with TARGET one of rram, cpu"),
        ("cpu-1x1", ("fc",), "must look like NAME=TARGET"),
    ],
)
def test_bad_policy_or_override(policy: str, overrides: tuple[str, ...], message: str) -> None:
    with pytest.raises(UserError, match=message):
        mapping(policy, overrides)


def test_override_error_lists_similar_names() -> None:
    with pytest.raises(UserError, match=r"similar: layer1\.0\.conv2, layer1\.0\.conv1"):
        mapping(overrides=("layer1.0.conv=rram",))


def test_reused_module_matches_every_call() -> None:
    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(2, 2, 3, padding=1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.conv(self.conv(x))

    m = map_model(Twice(), (2, 4, 4), ISAAC, options=MapOptions(overrides=("conv=cpu",)))
    assert targets(m, "conv", "conv#2") == ["cpu", "cpu"]
    # 4x4 pixels * 2 cout * 2 cin * 9 = 576 MACs per call, both calls on the CPU.
    assert m.cpu_macs == 2 * 576


def test_parse_override_strips_spaces() -> None:
    override = parse_override(" layer1.* = rram ")
    assert (override.pattern, override.target) == ("layer1.*", "rram")
    assert override.matches("layer1.0.conv1#2")


def test_unsupported_layers_keep_their_reason() -> None:
    reason = "Embedding holds 80 parameters"
    spec = LayerSpec(name="emb", kind="other", in_shape=(4,), out_shape=(4, 8), macs=0,
                     params=80, supported=False, reason=reason)  # fmt: skip
    [placement] = assign_targets([spec])
    assert (placement.target, placement.reason) == ("unsupported", reason)
