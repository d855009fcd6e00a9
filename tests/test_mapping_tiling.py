"""Crossbar counts derived by hand for zoo layers, and the tiling rules themselves.

ISAAC (hwconfigs/isaac.yaml): 128x128 crossbars, 2-bit cells, 16-bit weights, offset encoding
with the unit column beside the array (`offset_reference: extra_column`, ISAAC's 129th column).
A weight takes ceil(16/2) = 8 cells side by side on a row, so the 128 columns hold
128 // 8 = 16 weights per row. A layer with an r x c matrix needs ceil(r/128) * ceil(c/16)
crossbars. With the unit column inside the array (`in_array`) 127 columns are left:
floor(127/8) = 15 weights per row.
isaac-8bit-1cell: 8-bit weights in one 8-bit cell, offset: 128 // 1 = 128 weights per row.
isaac-differential: 2 * 8 = 16 cells per weight, no unit column: 128 // 16 = 8 per row.

Depthwise layers (groups = channels): one 9x1 matrix per channel; a group block takes 9 rows
and 1*8 + 1 = 9 columns under ISAAC (a packed group's unit column is inside the array: the
one extra column cannot sum two groups), so min(128//9, 128//9) = 14 groups share one crossbar
along its diagonal (8-bit-1cell: min(14, 128//2) = 14; differential: min(14, 128//16) = 8).
"""

from functools import cache

import pytest

from archsim.config.hardware import load_hardware
from archsim.errors import UserError
from archsim.mapping.geometry import Geometry
from archsim.mapping.mapper import map_net
from archsim.mapping.options import MapOptions
from archsim.mapping.records import LayerSpec, Mapping
from archsim.mapping.summary import summarize
from archsim.mapping.tiling import tile_layer

ISAAC = Geometry(128, 128, 2, 16, "offset", 8, 12, 168, 64, "isaac")
ONE_CELL = Geometry(128, 128, 8, 8, "offset", 8, 12, 168, 64, "isaac-8bit-1cell")


@cache
def mapped(net: str, width: float, hw: str = "isaac") -> Mapping:
    geometry = {"isaac": ISAAC, "isaac-8bit-1cell": ONE_CELL}.get(hw) or hw
    return map_net(net, width, geometry, options=MapOptions(policy="all-rram"))


def test_geometry_from_isaac_yaml_matches_the_hand_numbers() -> None:
    geometry = Geometry.from_hardware(load_hardware("isaac"))
    assert geometry == ISAAC
    assert geometry.cells_per_weight == 8
    # the unit column is read beside each block's weights but takes none of the 128 columns
    assert (geometry.read_columns, geometry.extra_columns, geometry.weights_per_row) == (1, 0, 16)
    one_cell = Geometry.from_hardware(load_hardware("isaac-8bit-1cell"))
    assert (one_cell.cells_per_weight, one_cell.weights_per_row) == (1, 128)
    differential = Geometry.from_hardware(load_hardware("isaac-differential"))
    assert (differential.cells_per_weight, differential.read_columns) == (16, 0)
    assert differential.weights_per_row == 8
    # the other two references: a digital count reads no column; an in-array one costs a weight
    counted = Geometry(128, 128, 2, 16, "offset", 8, 12, 168, 64, offset_reference="input_count")
    assert (counted.read_columns, counted.weights_per_row) == (0, 16)
    inside = Geometry(128, 128, 2, 16, "offset", 8, 12, 168, 64, offset_reference="in_array")
    assert (inside.read_columns, inside.extra_columns, inside.weights_per_row) == (1, 1, 15)


# ResNet-20 at width 1.0 has 16/32/64 channels; at 1.4 floor(16*1.4)=22, floor(32*1.4)=44,
# floor(64*1.4)=89.
RESNET20 = [
    # (width, layer, crossbars under isaac, under isaac-8bit-1cell)
    (1.0, "conv1", 1, 1),  # 27x16: ceil(27/128)=1 * ceil(16/16)=1; 1 * ceil(16/128)=1
    (1.0, "layer1.0.conv1", 2, 2),  # 144x16: 2 * 1; 2 * 1
    (1.0, "layer2.0.conv1", 4, 2),  # 144x32: 2 * ceil(32/16)=2; 2 * 1
    (1.0, "layer2.1.conv1", 6, 3),  # 288x32: 3 * 2; 3 * 1
    (1.0, "layer3.0.conv1", 12, 3),  # 288x64: 3 * ceil(64/16)=4; 3 * 1
    (1.0, "layer3.1.conv2", 20, 5),  # 576x64: ceil(576/128)=5 * 4; 5 * 1
    (1.0, "fc", 1, 1),  # 64x10: 1 * 1
    (1.4, "conv1", 2, 1),  # 27x22: 1 * ceil(22/16)=2; 1 * 1
    (1.4, "layer1.0.conv1", 4, 2),  # 198x22: ceil(198/128)=2 * 2; 2 * 1
    (1.4, "layer2.1.conv1", 12, 4),  # 396x44: ceil(396/128)=4 * ceil(44/16)=3; 4 * 1
    (1.4, "layer3.0.conv1", 24, 4),  # 396x89: 4 * ceil(89/16)=6; 4 * 1
    (1.4, "layer3.1.conv2", 42, 7),  # 801x89: ceil(801/128)=7 * 6; 7 * 1
    (1.4, "fc", 1, 1),  # 89x10: 1 * 1
]


@pytest.mark.parametrize(("width", "layer", "isaac", "one_cell"), RESNET20)
def test_resnet20_layer_crossbars(width: float, layer: str, isaac: int, one_cell: int) -> None:
    assert mapped("resnet20", width).layer(layer).crossbars == isaac
    assert mapped("resnet20", width, "isaac-8bit-1cell").layer(layer).crossbars == one_cell


def test_resnet20_totals_and_utilization() -> None:
    # ISAAC's 16 weights per crossbar row, one copy of each layer. Width 1.0:
    # conv1 1 + layer1 6*2 + layer2 (4 + 5*6) + layer3 (12 + 5*20) + fc 1 = 160
    # (with 15 weights per row, the unit column inside the array, it was 218).
    # IMAs (8 crossbars, each layer on fresh IMAs): 1 + 6*1 + (1 + 5*1) + (2 + 5*3) + 1 = 31,
    # on ceil(31 / 12) = 3 tiles of one chip.
    summary = summarize(mapped("resnet20", 1.0))
    assert (summary.crossbars, summary.imas, summary.tiles, summary.chips) == (160, 31, 3, 1)
    # Width 1.4 (22/44/89 channels: ceil(c/16) = ceil(c/15) for each): 2 + 6*4 + (6 + 5*12)
    # + (24 + 5*42) + 1 = 327.
    assert summarize(mapped("resnet20", 1.4)).crossbars == 327
    # 8-bit in one cell, width 1.0: 1 + 6*2 + (2 + 5*3) + (3 + 5*5) + 1 = 59.
    assert summarize(mapped("resnet20", 1.0, "isaac-8bit-1cell")).crossbars == 59
    # conv1 uses 27*16 weights * 8 cells = 3456 cells of 1 crossbar of 128x128 = 16384 cells.
    assert mapped("resnet20", 1.0).layer("conv1").utilization == pytest.approx(3456 / 16384)


# VGG-13 channels 64,64 | 128,128 | 256,256 | 512,512 | 512,512 (convs are features.0, 3,
# 7, 10, 14, 17, 21, 24, 28, 31); at 1.4: 89, 179, 358, 716.
VGG13 = [
    (1.0, "features.0", 4, 1),  # 27x64: 1 * ceil(64/16)=4; 1 * 1
    (1.0, "features.3", 20, 5),  # 576x64: 5 * 4; 5 * 1
    (1.0, "features.10", 72, 9),  # 1152x128: 9 * ceil(128/16)=8; 9 * ceil(128/128)=1
    (1.0, "features.31", 1152, 144),  # 4608x512: 36 * ceil(512/16)=32; 36 * ceil(512/128)=4
    (1.0, "fc", 4, 4),  # 512x10: 4 * 1
    (1.4, "features.0", 6, 1),  # 27x89: 1 * ceil(89/16)=6
    (1.4, "features.10", 156, 26),  # 1611x179: ceil(1611/128)=13 * ceil(179/16)=12; 13 * 2
    (1.4, "features.31", 2295, 306),  # 6444x716: ceil(6444/128)=51 * ceil(716/16)=45; 51 * 6
    (1.4, "fc", 6, 6),  # 716x10: ceil(716/128)=6 * 1
]


@pytest.mark.parametrize(("width", "layer", "isaac", "one_cell"), VGG13)
def test_vgg13_layer_crossbars(width: float, layer: str, isaac: int, one_cell: int) -> None:
    assert mapped("vgg13", width).layer(layer).crossbars == isaac
    assert mapped("vgg13", width, "isaac-8bit-1cell").layer(layer).crossbars == one_cell


def test_vgg13_total_at_width_1() -> None:
    # 4 + 20 + 40 + 72 + 144 + 288 + 576 + 3*1152 + 4 = 4604 (derivation per layer as above:
    # 576x128 -> 5*8, 1152x256 -> 9*16, 2304x256 -> 18*16, 2304x512 -> 18*32); with 15
    # weights per row (unit column inside the array) it was 5056.
    assert summarize(mapped("vgg13", 1.0)).crossbars == 4604


# MobileNetV2 (CIFAR): stem 32, first block expansion 1 (depthwise over 32 channels), second
# block 16 -> hidden 96, last block 160 -> hidden 960; classifier from 1280. At 1.4: 44, 44,
# floor(96*1.4)=134, 1344, 1792.
MOBILENETV2 = [
    (1.0, "conv1", 2, 1),  # 27x32: 1 * ceil(32/16)=2; 1 * 1
    (1.0, "layers.0.depthwise", 3, 3),  # 32 groups, 14 per crossbar: ceil(32/14)
    (1.0, "layers.1.depthwise", 7, 7),  # ceil(96/14) = 7
    (1.0, "layers.16.depthwise", 69, 69),  # ceil(960/14) = 69
    (1.0, "fc", 10, 10),  # 1280x10: 10 * 1
    (1.4, "conv1", 3, 1),  # 27x44: 1 * ceil(44/16)=3
    (1.4, "layers.0.depthwise", 4, 4),  # ceil(44/14) = 4
    (1.4, "layers.1.depthwise", 10, 10),  # ceil(134/14) = 10
    (1.4, "layers.16.depthwise", 96, 96),  # ceil(1344/14) = 96
    (1.4, "fc", 14, 14),  # 1792x10: 14 * 1
]


@pytest.mark.parametrize(("width", "layer", "isaac", "one_cell"), MOBILENETV2)
def test_mobilenetv2_layer_crossbars(width: float, layer: str, isaac: int, one_cell: int) -> None:
    assert mapped("mobilenetv2", width).layer(layer).crossbars == isaac
    assert mapped("mobilenetv2", width, "isaac-8bit-1cell").layer(layer).crossbars == one_cell


def test_depthwise_is_block_diagonal_with_low_utilization() -> None:
    layer = mapped("mobilenetv2", 1.0).layer("layers.0.depthwise")
    assert layer.groups_per_crossbar == 14
    # 32 groups * 9 weights * 8 cells = 2304 cells on 3 crossbars of 16384 cells.
    assert layer.utilization == pytest.approx(2304 / (3 * 16384))
    # Group 15 is the second group of the second crossbar: rows 9..18, columns 9..18.
    block = next(b for b in layer.blocks if b.group == 15)
    assert (block.crossbar, block.row_offset, block.col_offset) == (1, 9, 9)
    assert "block-diagonally" in layer.reason
    assert any("block-diagonally" in note for note in mapped("mobilenetv2", 1.0).notes)


def test_differential_and_256x256_variants() -> None:
    # Differential: 8 weights per row. ResNet-20 layer3.1.conv2 576x64: 5 * ceil(64/8) = 40.
    # Depthwise: 8 groups per crossbar (columns bind: 128 // 16), ceil(32/8) = 4.
    assert mapped("resnet20", 1.0, "isaac-differential").layer("layer3.1.conv2").crossbars == 40
    assert mapped("mobilenetv2", 1.0, "isaac-differential").layer(
        "layers.0.depthwise").crossbars == 4  # fmt: skip
    # 256x256, offset (unit column beside): 256 // 8 = 32 per row; 576x64 ->
    # ceil(576/256)=3 * ceil(64/32)=2.
    assert mapped("resnet20", 1.0, "isaac-256x256").layer("layer3.1.conv2").crossbars == 6


def test_grouped_conv_too_big_to_share_gets_its_own_crossbars() -> None:
    # 2 groups of a 3x3 conv 512 -> 64: each group 2304x32 under ISAAC, too tall to pack:
    # 2 * ceil(2304/128)=18 * ceil(32/16)=2 = 72 crossbars.
    spec = LayerSpec(name="g", kind="conv", in_shape=(512, 8, 8), out_shape=(64, 8, 8),
                     macs=0, params=0, in_channels=512, out_channels=64, kernel=(3, 3),
                     groups=2)  # fmt: skip
    tiling = tile_layer(spec, ISAAC)
    assert tiling.crossbars == 72
    assert tiling.groups_per_crossbar == 1


def test_geometry_rejects_impossible_crossbars() -> None:
    with pytest.raises(UserError, match="rows must be an integer >= 1, got 0"):
        Geometry(0, 128, 2, 16, "offset", 8, 12, 168, 1)
    with pytest.raises(UserError, match="cannot hold one weight"):
        # 8 cells + an in-array unit column > 8 columns (beside the array, 8 columns hold one)
        Geometry(128, 8, 2, 16, "offset", 8, 12, 168, 1, offset_reference="in_array")
    assert Geometry(128, 8, 2, 16, "offset", 8, 12, 168, 1).weights_per_row == 1
    with pytest.raises(UserError, match="encoding 'twos' is not one of offset, differential"):
        Geometry(128, 128, 2, 16, "twos", 8, 12, 168, 1)  # type: ignore[arg-type]
