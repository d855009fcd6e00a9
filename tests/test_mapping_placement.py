"""Where blocks land (chip, tile, IMA, crossbar), node capacity, and ISAAC-style replication."""

import pytest
from torch import nn

from archsim.errors import UserError
from archsim.mapping.geometry import Geometry
from archsim.mapping.mapper import map_model, map_net, map_specs
from archsim.mapping.options import MapOptions
from archsim.mapping.records import LayerSpec
from archsim.mapping.replication import plan_replicas, replicas_at
from archsim.mapping.summary import summarize

# 4x5 crossbars of 1-bit cells holding 1-bit weights, offset: (5 - 1) // 1 = 4 weights per row.
# 2 crossbars per IMA, 2 IMAs per tile, 2 tiles per chip: 8 crossbars per chip.
TINY = Geometry(4, 5, 1, 1, "offset", 2, 2, 2, 2, "tiny")


def linear(name: str, inputs: int, outputs: int) -> LayerSpec:
    return LayerSpec(name=name, kind="linear", in_shape=(inputs,), out_shape=(outputs,),
                     macs=inputs * outputs, params=inputs * outputs, in_channels=inputs,
                     out_channels=outputs)  # fmt: skip


# a: 8x4 -> ceil(8/4)=2 * 1 = 2 crossbars; b: 12x4 -> 3; c: 4x4 -> 1; d: 4x4 -> 1.
LAYERS = [linear("a", 8, 4), linear("b", 12, 4), linear("c", 4, 4), linear("d", 4, 4)]


def positions(name: str, geometry: Geometry = TINY) -> list[tuple[int, int, int, int]]:
    m = map_specs(LAYERS, geometry, input_shape=(8,), options=MapOptions(policy="all-rram"))
    return [(b.chip, b.tile, b.ima, b.crossbar) for b in m.layer(name).blocks]


def test_layers_start_on_fresh_imas_and_fill_tiles_then_chips() -> None:
    # a fills IMA 0 (tile 0). b starts on IMA 1 (tile 0, second IMA) and spills into IMA 2,
    # which is the first IMA of tile 1. c takes a fresh IMA 3 (tile 1, IMA 1) although IMA 2
    # has a free crossbar; d opens IMA 4 = chip 1, tile 0, IMA 0.
    assert positions("a") == [(0, 0, 0, 0), (0, 0, 0, 1)]
    assert positions("b") == [(0, 0, 1, 0), (0, 0, 1, 1), (0, 1, 0, 0)]
    assert positions("c") == [(0, 1, 1, 0)]
    assert positions("d") == [(1, 0, 0, 0)]
    m = map_specs(LAYERS, TINY, input_shape=(8,), options=MapOptions(policy="all-rram"))
    s = summarize(m)
    assert (s.crossbars, s.imas, s.tiles, s.chips) == (7, 5, 3, 2)
    # 8*4 + 12*4 + 16 + 16 = 112 weight cells on 7 crossbars of 20 cells.
    assert s.mean_utilization == pytest.approx(112 / 140)


def test_row_blocks_cover_the_matrix_in_order() -> None:
    m = map_specs(LAYERS, TINY, input_shape=(8,), options=MapOptions(policy="all-rram"))
    spans = [(b.row_start, b.row_end, b.col_start, b.col_end) for b in m.layer("b").blocks]
    assert spans == [(0, 4, 0, 4), (4, 8, 0, 4), (8, 12, 0, 4)]


def test_network_larger_than_the_node_says_how_many_chips() -> None:
    one_chip = Geometry(4, 5, 1, 1, "offset", 2, 2, 2, 1, "tiny")
    with pytest.raises(UserError, match="needs 2 chips \\(7 crossbars\\) but hardware tiny has "
                                        "1 chip of 8 crossbars"):  # fmt: skip
        map_specs(
            LAYERS,
            one_chip,
            input_shape=(8,),
            model_name="four",
            options=MapOptions(policy="all-rram"),
        )
    # ResNet-20 under ISAAC needs 31 IMAs (see test_mapping_tiling); with 12 IMAs per chip
    # that is ceil(31/12) = 3 chips.
    small_node = Geometry(128, 128, 2, 16, "offset", 8, 12, 1, 2, "small")
    with pytest.raises(UserError, match=r"resnet20 at width 1 needs 3 chips .* has 2 chips"):
        map_net("resnet20", 1.0, small_node)


def test_plan_replicas_by_hand() -> None:
    # Crossbars (1, 2, 1), output pixels (16, 4, 1), one crossbar per IMA, 12 IMAs. q (pixels
    # per replica) is real: q = 16/7 gives replicas (7, 2, 1) -> 7 + 4 + 1 = 12 IMAs: fits;
    # any smaller q needs 8 replicas of the first layer -> 13. The slowest layer then streams
    # 16/7 = 2.29 MVMs per image (an integer q would stop at 3: replicas (6, 2, 1)).
    assert plan_replicas([1, 2, 1], [16, 4, 1], 1, 12) == [7, 2, 1]
    assert plan_replicas([1, 2, 1], [16, 4, 1], 1, 3) == [1, 1, 1]  # no spare crossbars
    assert plan_replicas([1, 2, 1], [16, 4, 1], 1, 1000) == [16, 4, 1]  # one per pixel


def test_replication_fills_the_used_chip_in_proportion_to_pixels() -> None:
    # One crossbar per IMA, 16 IMAs in the only chip. conv a: 3 -> 8 on 8x8 (27x8 matrix, 1
    # crossbar, 64 pixels); conv b: 8 -> 8 stride 2 (72x8, 1 crossbar, 16 pixels); fc
    # 128 -> 10 (1 crossbar, 1 pixel). q = 64/12: replicas (12, 3, 1) = 16 crossbars fit;
    # any smaller q needs 13 of the first: 13 + 4 + 1 = 18 do not.
    geometry = Geometry(128, 128, 2, 16, "offset", 1, 1, 16, 1, "flat")
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(8, 8, 3, 2, 1),
                          nn.Flatten(), nn.Linear(128, 10))  # fmt: skip
    m = map_model(model, (3, 8, 8), geometry, options=MapOptions(policy="all-rram", replicate=True))
    assert [lm.replicas for lm in m.rram_layers] == [12, 3, 1]
    assert summarize(m).crossbars == 16
    first = m.rram_layers[0]
    assert sorted({b.replica for b in first.all_blocks()}) == list(range(12))
    assert first.weight_cells == 12 * 27 * 8 * 8  # every replica holds all 27x8 weights


def test_replicated_resnet20_is_the_most_balanced_pipeline_on_its_chip() -> None:
    m = map_net("resnet20", 1.0, "isaac", options=MapOptions(replicate=True))
    s = summarize(m)
    assert s.chips == 1 and 218 < s.crossbars <= 2016 * 8
    layers = m.rram_layers
    pixels = [lm.spec.output_pixels for lm in layers]
    per_replica = [lm.crossbars // lm.replicas for lm in layers]
    # Replicas are ceil(pixels / q) for one q (the slowest layer's pixels per replica), and
    # any smaller q would not fit the chip's 2016 IMAs.
    replicas = [lm.replicas for lm in layers]
    q = max(p / r for p, r in zip(pixels, replicas, strict=True))
    # no layer has a replica more than q needs (one fewer would exceed q)
    assert all(p / (r - 1) > q * (1 - 1e-9) for p, r in zip(pixels, replicas, strict=True) if r > 1)
    smaller = replicas_at(q * (1 - 1e-6), pixels)
    imas = sum(-(-r * c // 8) for r, c in zip(smaller, per_replica, strict=True))
    assert imas > 2016
    assert layers[-1].spec.name == "fc" and layers[-1].replicas == 1


def test_node_scope_replicates_into_every_chip_of_the_node() -> None:
    # The model of the test above on two 16-IMA chips (one crossbar per IMA). used-chips: the
    # one chip the net needs, replicas (12, 3, 1). node: 32 IMAs; q = 64/24 gives replicas
    # (24, 6, 1) = 31 crossbars, any smaller q (25, 7, 1) = 33. An explicit budget of 2
    # chips is the same as the node's.
    geometry = Geometry(128, 128, 2, 16, "offset", 1, 1, 16, 2, "two")
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(8, 8, 3, 2, 1),
                          nn.Flatten(), nn.Linear(128, 10))  # fmt: skip

    def mapped(scope: str | int) -> list[int]:
        m = map_model(
            model,
            (3, 8, 8),
            geometry,
            options=MapOptions(policy="all-rram", replicate=True, replicate_scope=scope),
        )
        assert m.replicate_scope == str(scope)
        assert m.replicate_budget_chips == (1 if scope in ("used-chips", 1) else 2)
        return [lm.replicas for lm in m.rram_layers]

    assert mapped("used-chips") == [12, 3, 1]
    assert mapped("node") == [24, 6, 1] == mapped(2)
    assert mapped(1) == [12, 3, 1]
    plain = map_model(model, (3, 8, 8), geometry, options=MapOptions(policy="all-rram"))
    assert (plain.replicate_scope, plain.replicate_budget_chips) == ("", 0)
    with pytest.raises(UserError, match=r"between the 1 the network needs .* node's 2"):
        mapped(3)
    with pytest.raises(UserError, match="used-chips, node or a number of chips"):
        mapped("everywhere")
    # without replication a scope only provisions the budget
    provisioned = map_model(
        model, (3, 8, 8), geometry, options=MapOptions(policy="all-rram", replicate_scope="node")
    )
    assert provisioned.budget_chips == 2 and provisioned.crossbars == 3
