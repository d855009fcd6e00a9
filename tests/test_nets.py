"""The model zoo: hand-derived parameter counts, shapes on every input size, width rounding,
option handling and one-line errors.

Notation in the derivations: a bias-free KxK conv from a to b channels has K*K*a*b weights;
a BatchNorm over c channels has 2c affine parameters (running statistics are buffers, not
parameters); a Linear from a to b has a*b + b.
"""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from archsim.errors import UserError
from archsim.nets import get_net, list_nets, net_info
from archsim.nets.width import scale

ALL_NETS = [info.name for info in list_nets()]
INPUT_SHAPES = [(1, 8, 8), (1, 28, 28), (3, 32, 32)]


def param_count(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def test_registry_lists_every_requested_net() -> None:
    assert ALL_NETS == [
        "resnet20", "resnet32", "resnet44", "resnet56", "vgg11", "vgg13", "vgg16",
        "mobilenetv2", "minimobilenet", "resnet20-bottleneck", "lenet5", "vit",
    ]  # fmt: skip
    info = net_info("ResNet20")  # names are case-insensitive
    assert info.options == {"shortcut": "A"}
    assert info.input_shape == (3, 32, 32)
    assert "He et al." in info.paper


def test_resnet20_option_a_has_269722_parameters() -> None:
    # stem: conv 3*16*9 = 432, BN 32                                              ->     464
    # layer1: 3 blocks x (2 convs 16*16*9 = 2,304 each + 2 BNs of 32)             ->  14,016
    # layer2: block 0: 16*32*9 = 4,608 + 32*32*9 = 9,216 + BNs 128 = 13,952;
    #         blocks 1-2: 2 * (2*9,216 + 128) = 37,120                            ->  51,072
    # layer3: block 0: 32*64*9 = 18,432 + 64*64*9 = 36,864 + BNs 256 = 55,552;
    #         blocks 1-2: 2 * (2*36,864 + 256) = 147,968                          -> 203,520
    # fc: 64*10 + 10                                                              ->     650
    # option A shortcuts have no parameters. Total 464 + 14,016 + 51,072 + 203,520 + 650.
    assert param_count(get_net("resnet20")) == 269_722


def test_resnet20_projection_shortcuts_add_their_convs_and_bns() -> None:
    # 1x1: layer2.0.shortcut = 16*32 + BN 64 = 576; layer3.0.shortcut = 32*64 + 128 = 2,176
    #      269,722 + 576 + 2,176 = 272,474
    assert param_count(get_net("resnet20", shortcut="1x1")) == 272_474
    # 3x3: 16*32*9 + 64 = 4,672 and 32*64*9 + 128 = 18,560; 269,722 + 23,232 = 292,954
    assert param_count(get_net("resnet20", shortcut="3x3")) == 292_954
    net = get_net("resnet20", shortcut="1x1")
    names = {name for name, module in net.named_modules() if isinstance(module, nn.Conv2d)}
    assert {"conv1", "layer1.0.conv1", "layer2.0.shortcut.0", "layer3.0.shortcut.0"} <= names
    assert "layer1.0.shortcut.0" not in names  # shape-keeping blocks add the input itself
    assert net.get_submodule("layer2.0.shortcut.0").kernel_size == (1, 1)
    wide_shortcut = get_net("resnet20", shortcut="3x3").get_submodule("layer3.0.shortcut.0")
    assert wide_shortcut.kernel_size == (3, 3)


def test_deeper_resnets_add_blocks_of_the_same_shape() -> None:
    # ResNet-(6n+2): each extra block per stage adds 2 convs + 2 BNs in every stage:
    # 2*(16*16*9 + 32) + 2*(32*32*9 + 64) + 2*(64*64*9 + 128)
    # = 4,672 + 18,560 + 73,984 = 97,216; ResNet-32 = ResNet-20 + 2 * 97,216.
    assert param_count(get_net("resnet32")) == 269_722 + 2 * 97_216
    assert param_count(get_net("resnet56")) == 269_722 + 6 * 97_216


def test_vgg13_has_9413066_parameters() -> None:
    # convs: 3*64*9 = 1,728; 64*64*9 = 36,864; 64*128*9 = 73,728; 128*128*9 = 147,456;
    #        128*256*9 = 294,912; 256*256*9 = 589,824; 256*512*9 = 1,179,648;
    #        three 512*512*9 = 3 * 2,359,296 = 7,077,888               -> sum 9,402,048
    # BNs: 2 * (64+64+128+128+256+256+512*4) = 2 * 2,944              ->       5,888
    # fc: 512*10 + 10                                                  ->       5,130
    assert param_count(get_net("vgg13")) == 9_402_048 + 5_888 + 5_130


def test_mobilenetv2_has_2296922_parameters() -> None:
    # A block from `a` to `b` channels with expansion t (h = a*t hidden channels) holds
    # a*h + 2h + 9h + 2h + h*b + 2b = h*(a + 13 + b) + 2b, plus a*b + 2b when a stride-1
    # block changes channels (its 1x1 + BN projection shortcut).
    # stage 1 (t1, 32->16):  32*61 + 32 = 1,984 + shortcut 32*16 + 32 = 544   ->   2,528
    # stage 2 (t6, 16->24, 24->24): 96*53 + 48 + (384 + 48) = 5,568; 144*61 + 48 = 8,832
    #                                                                           ->  14,400
    # stage 3 (s2 24->32, 2x 32->32): 144*69 + 64 = 10,000; 2 * (192*77 + 64) = 29,696
    #                                                                           ->  39,696
    # stage 4 (s2 32->64, 3x 64->64): 192*109 + 128 = 21,056; 3 * (384*141 + 128) = 162,816
    #                                                                           -> 183,872
    # stage 5 (64->96, 2x 96->96): 384*173 + 192 + (6,144 + 192) = 72,960;
    #                              2 * (576*205 + 192) = 236,544               -> 309,504
    # stage 6 (s2 96->160, 2x 160->160): 576*269 + 320 = 155,264;
    #                                    2 * (960*333 + 320) = 640,000         -> 795,264
    # stage 7 (160->320): 960*493 + 640 + (51,200 + 640) = 525,760            -> 525,760
    # blocks: 1,871,024; stem 3*32*9 + 64 = 928; conv2 320*1280 + 2,560 = 412,160;
    # fc 1280*10 + 10 = 12,810. Total 1,871,024 + 928 + 412,160 + 12,810.
    assert param_count(get_net("mobilenetv2")) == 2_296_922


def test_mobilenetv2_depthwise_convs_have_one_group_per_channel() -> None:
    net = get_net("mobilenetv2", width=1.4)
    depthwise = [m for n, m in net.named_modules() if n.endswith(".depthwise")]
    assert len(depthwise) == 17  # 1 + 2 + 3 + 4 + 3 + 3 + 1 blocks
    for conv in depthwise:
        assert isinstance(conv, nn.Conv2d)
        assert conv.groups == conv.in_channels == conv.out_channels
        assert conv.kernel_size == (3, 3)
    assert net.conv1.stride == (1, 1)  # CIFAR stem
    assert net.conv2.out_channels == 1792  # floor(1280 * 1.4)


def test_lenet5_has_the_textbook_61706_parameters() -> None:
    # conv1 1*6*25 + 6 = 156; conv2 6*16*25 + 16 = 2,416; fc1 (16*5*5)*120 + 120 = 48,120;
    # fc2 120*84 + 84 = 10,164; fc3 84*10 + 10 = 850; sum 61,706.
    assert param_count(get_net("lenet5", in_channels=1)) == 61_706


def test_minimobilenet_and_bottleneck_resnet_counts() -> None:
    # minimobilenet, 2 blocks, 1 input channel:
    # block 0 (1->8, h = 6): 1*6 + 12 + 9*6 + 12 + 6*8 + 16 = 148 (no residual: shape changes)
    # block 1 (8->8, h = 48): 8*48 + 96 + 9*48 + 96 + 48*8 + 16 = 1,408
    # fc: 8 channels * 7*7 pooled * 10 + 10 = 3,930; total 5,486
    assert param_count(get_net("minimobilenet", in_channels=1)) == 5_486
    # ResNet-20 (option A) with 6 shape-keeping c->c 3x3 convs (9c^2) replaced by bottlenecks
    # of h = 6c: 6c^2 + 12c + 54c + 12c + 6c^2 + 2c = 12c^2 + 80c, i.e. 3c^2 + 80c more each:
    # c=16: 2,048; c=32: 5,632; c=64: 17,408; two of each: 2*(2,048 + 5,632 + 17,408) = 50,176
    assert param_count(get_net("resnet20-bottleneck")) == 269_722 + 50_176


def test_bottleneck_replaces_exactly_the_chosen_convs() -> None:
    net = get_net("resnet20-bottleneck", replace=[0, 9])
    # index 0 is layer1.0.conv1, index 9 is block 4 (layer2.1) conv2
    assert net.get_submodule("layer1.0.conv1").depthwise.groups == 16 * 6
    assert net.get_submodule("layer2.1.conv2").depthwise.groups == 32 * 6
    replaced = {
        n.removesuffix(".depthwise") for n, _ in net.named_modules() if n.endswith(".depthwise")
    }
    assert replaced == {"layer1.0.conv1", "layer2.1.conv2"}
    # a stride-2, channel-changing position (index 6 = layer2.0.conv1) works too
    strided = get_net("resnet20-bottleneck", replace=(6,)).eval()
    assert strided(torch.zeros(1, 3, 32, 32)).shape == (1, 10)
    assert strided.get_submodule("layer2.0.conv1").add is None


@pytest.mark.parametrize("name", ALL_NETS)
@pytest.mark.parametrize("shape", INPUT_SHAPES)
def test_every_net_runs_on_every_input_size(name: str, shape: tuple[int, int, int]) -> None:
    # the transformer's position embedding is built for one image size: give it the size
    sized = {"image_size": shape[1], "patch": 7 if shape[1] == 28 else 4} if name == "vit" else {}
    net = get_net(name, num_classes=7, in_channels=shape[0], **sized).eval()
    with torch.no_grad():
        assert net(torch.randn(2, *shape)).shape == (2, 7)


def _map_before(net: nn.Module, module_name: str, shape: tuple[int, int, int]) -> tuple:
    seen: list[tuple[int, ...]] = []
    hook = net.get_submodule(module_name).register_forward_hook(
        lambda _m, inputs, _o: seen.append(tuple(inputs[0].shape[-2:]))
    )
    with torch.no_grad():
        net.eval()(torch.zeros(1, *shape))
    hook.remove()
    return seen[0]


@pytest.mark.parametrize(
    ("name", "shape", "expected"),
    [
        # two 2x2 pools after same-padded 5x5 convs: 8/4 = 2, 28/4 = 7, 32/4 = 8
        ("lenet5", (1, 8, 8), (2, 2)),
        ("lenet5", (1, 28, 28), (7, 7)),
        ("lenet5", (3, 32, 32), (8, 8)),
        # VGG's five pools: 8->4->2->1->1->1 (last two skipped), 28->14->7->3->1->1
        ("vgg11", (1, 8, 8), (1, 1)),
        ("vgg11", (1, 28, 28), (1, 1)),
        ("vgg11", (3, 32, 32), (1, 1)),
        # ResNet: two stride-2 stages, ceil halving: 8->4->2, 28->14->7, 32->16->8
        ("resnet20", (1, 8, 8), (2, 2)),
        ("resnet20", (1, 28, 28), (7, 7)),
        ("resnet20", (3, 32, 32), (8, 8)),
        # MobileNetV2: three stride-2 stages: 32->16->8->4, 28->14->7->4, 8->4->2->1
        ("mobilenetv2", (3, 32, 32), (4, 4)),
        ("mobilenetv2", (1, 28, 28), (4, 4)),
        ("mobilenetv2", (1, 8, 8), (1, 1)),
    ],
)
def test_feature_map_before_the_classifier_pool(
    name: str, shape: tuple[int, int, int], expected: tuple[int, int]
) -> None:
    net = get_net(name, in_channels=shape[0])
    assert _map_before(net, "pool", shape) == expected


def test_width_14_rounds_every_stage_down() -> None:
    # 16*1.4 = 22.4 -> 22 (the float product is 22.399999999999995), 32*1.4 = 44.8 -> 44,
    # 64*1.4 = 89.6 -> 89
    net = get_net("resnet20", width=1.4)
    assert net.conv1.out_channels == 22
    assert [net.get_submodule(f"layer{i}.0.conv1").out_channels for i in (1, 2, 3)] == [
        22, 44, 89,
    ]  # fmt: skip
    assert net.fc.in_features == 89
    # option A pads 44 -> 89 channels: 45 new ones, 22 before and 23 after
    shortcut = net.get_submodule("layer3.0.shortcut")
    assert (shortcut.pad_before, shortcut.pad_after) == (22, 23)
    assert net.eval()(torch.zeros(1, 3, 32, 32)).shape == (1, 10)


def test_width_floor_is_safe_against_float_error() -> None:
    assert 0.29 * 100 < 29  # the trap: the product is 28.999999999999996
    assert scale(100, 0.29) == 29
    assert scale(16, 1.4) == 22
    assert scale(3, 0.1) == 1  # never zero channels


@pytest.mark.parametrize("name", ALL_NETS)
@pytest.mark.parametrize("width", [1.0, 1.2, 1.4, 1.6])
def test_every_net_builds_and_runs_at_paper_widths(name: str, width: float) -> None:
    shape = net_info(name).input_shape
    net = get_net(name, width=width, in_channels=shape[0]).eval()
    with torch.no_grad():
        assert net(torch.zeros(1, *shape)).shape == (1, 10)


def test_residual_adds_are_modules_seen_by_hooks() -> None:
    net = get_net("resnet20")
    calls: list[str] = []
    for name, module in net.named_modules():
        if type(module).__name__ == "Add":
            module.register_forward_hook(lambda m, i, o, name=name: calls.append(name))
    net.eval()(torch.zeros(1, 3, 32, 32))
    assert len(calls) == 9  # one per basic block
    assert calls[0] == "layer1.0.add"


def test_same_seed_same_weights_and_global_rng_untouched() -> None:
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a, b = get_net("lenet5"), get_net("lenet5")
    assert torch.equal(torch.random.get_rng_state(), before)
    assert torch.equal(a.conv1.weight, b.conv1.weight)
    assert not torch.equal(a.conv1.weight, get_net("lenet5", seed=1).conv1.weight)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: get_net("resnet18"), "unknown model 'resnet18'; known models: resnet20"),
        (lambda: get_net("resnet20", width=0), "width must be a finite number > 0"),
        (lambda: get_net("resnet20", width=-1.2), "width must be a finite number > 0"),
        (lambda: get_net("resnet20", width=math.nan), "width must be a finite number > 0"),
        (lambda: get_net("resnet20", width=math.inf), "width must be a finite number > 0"),
        (lambda: get_net("resnet20", width="1.2"), "width must be a number > 0"),
        (lambda: get_net("resnet20", width=True), "width must be a number > 0"),
        (lambda: get_net("resnet20", depth=3), "unknown option 'depth'; known options: shortcut"),
        (lambda: get_net("vgg13", shortcut="A"), "unknown option 'shortcut'; known options: none"),
        (lambda: get_net("resnet20", shortcut="B"), "option shortcut='B' is not one of A, 1x1"),
        (lambda: get_net("minimobilenet", blocks=0), "option blocks must be an integer >= 1"),
        (lambda: get_net("resnet20-bottleneck", replace=(18,)), "outside 0..17"),
        (lambda: get_net("resnet20-bottleneck", replace=[2, 2]), "repeats an index"),
        (lambda: get_net("resnet20-bottleneck", replace="3"), "must be a list of integers"),
        (lambda: get_net("resnet20", num_classes=0), "num_classes must be an integer >= 1"),
        (lambda: get_net("lenet5", in_channels=0), "in_channels must be an integer >= 1"),
    ],
)
def test_bad_input_raises_one_line_user_error(call: object, message: str) -> None:
    with pytest.raises(UserError) as caught:
        call()  # type: ignore[operator]
    text = str(caught.value)
    assert message in text
    assert "\n" not in text


def _convs(net: nn.Module) -> dict[str, nn.Conv2d]:
    return {n: m for n, m in net.named_modules() if isinstance(m, nn.Conv2d)}


@settings(max_examples=40, deadline=None)
@given(
    # the transformer scales its head dimension (heads x floor(16 w)): its own rule
    name=st.sampled_from([n for n in ALL_NETS if n != "vit"]),
    width=st.floats(min_value=0, max_value=3, exclude_min=True, allow_nan=False),
)
def test_every_conv_is_scaled_by_the_floor_rule(name: str, width: float) -> None:
    # Built on the meta device: shapes only, no memory or init cost even at width 3.
    with torch.device("meta"):
        base, wide = _convs(get_net(name)), _convs(get_net(name, width=width))
    # A projection shortcut exists only where a block changes its channel count; at tiny
    # widths e.g. 16 and 24 channels both round to 1, and the block adds its input instead.
    assert wide.keys() <= base.keys()
    assert all(".shortcut." in n for n in base.keys() - wide.keys())

    def expected(channels: int) -> int:
        return max(1, math.floor(channels * width + 1e-9))

    for index, (conv_name, conv) in enumerate(wide.items()):
        reference = base[conv_name]
        assert conv.kernel_size == reference.kernel_size, conv_name
        assert conv.out_channels == expected(reference.out_channels), conv_name
        # the first conv reads the image, whose channel count the width never changes
        in_expected = reference.in_channels if index == 0 else expected(reference.in_channels)
        assert conv.in_channels == in_expected, conv_name
        if reference.groups > 1:  # depthwise stays depthwise
            assert conv.groups == conv.in_channels == conv.out_channels, conv_name


@pytest.mark.parametrize("width", [1000.5, 1e9, 1e300])
def test_an_absurd_width_is_one_line_before_any_tensor_is_sized(width: float) -> None:
    # 1e9 used to reach torch and overflow a tensor's size (a traceback); the bound is
    # checked before the net is built, for the zoo, the CLI and sweep specs alike
    from click.testing import CliRunner

    from archsim.cli import cli
    from archsim.nets.width import MAX_WIDTH, check_width

    with pytest.raises(UserError, match="at most 1000"):
        check_width(width)
    assert check_width(MAX_WIDTH) == MAX_WIDTH
    result = CliRunner().invoke(cli, ["map", "--model", "resnet20", "--width", f"1,{width!r}"])
    assert result.exit_code == 2
    assert (
        result.output
        == f"error: width must be at most 1000 (a channel multiplier), got {width!r}\n"
    )
