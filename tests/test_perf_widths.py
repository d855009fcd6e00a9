"""Balanced-pipeline throughput across widths in the default chip budget, by hand.

Every width of one call shares one budget: the fewest chips holding the widest point with one
copy of each layer (one ISAAC chip for ResNet-20 and VGG-13 at widths 1.0-1.6). Inside it each
layer gets r_i = ceil(p_i / q) replicas (p_i output pixels) for the smallest q that fits, so
the pipeline streams an image every q MVMs unless a stage replication cannot multiply (the CPU,
its link) is slower. An MVM is 16 one-bit cycles; a crossbar holding a full block of 16 weights
reads 16 x 8 columns and ISAAC's unit column beside them, and its ADC converts the 129 samples
at 1.28 GS/s in 100.78125 ns > 100 ns, so such an MVM takes 16 x 100.78125 ns = 1.6125 us.
docs/validation.md has the tables these tests pin down.
"""

import math
from functools import cache

import pytest

from archsim.config.hardware import load_hardware
from archsim.hw.chip import chip_costs
from archsim.mapping.geometry import resolve_geometry
from archsim.mapping.mapper import map_specs, trace_net
from archsim.mapping.options import MapOptions
from archsim.mapping.records import Mapping
from archsim.mapping.replication import imas_for
from archsim.perf.analytic import analytic_estimate
from archsim.perf.assemble import shared_resource_busy_s
from archsim.perf.balance import costed_mapping, default_budget_chips
from archsim.perf.des import simulate
from archsim.perf.hw_costs import costs_from_hardware
from archsim.perf.plan import build_plans, plan_mapping
from archsim.perf.result import PerfResult

WIDTHS = (1.0, 1.2, 1.4, 1.6)
MVM_S = 16 * 129 / 1.28e9  # 1.6125 us: 16 cycles of 129 ADC samples
CROSSBARS_PER_CHIP, IMAS_PER_CHIP = 168 * 12 * 8, 168 * 12
# Table 2's 85.42472 mm^2 + the unit columns' S+H (2016 x 8 x 3.90625e-8 mm^2) over ISAAC's own
# blocks (tests/test_hw_components.py), plus any component added to the registry since
CHIP_AREA_MM2 = chip_costs(load_hardware("isaac")).area_mm2


@cache
def isaac():  # type: ignore[no-untyped-def]
    hw = load_hardware("isaac")
    return hw, resolve_geometry(hw), costs_from_hardware(hw)


@cache
def specs(model: str, width: float) -> tuple:
    options = {"shortcut": "1x1"} if model == "resnet20" else {}
    return tuple(trace_net(model, width, (3, 32, 32), 10, options)[1])


def identity(model: str, width: float) -> dict:
    return {"input_shape": (3, 32, 32), "model_name": model, "width": width}


@cache
def plain(model: str, width: float, policy: str) -> Mapping:
    return map_specs(specs(model, width), isaac()[1], options=MapOptions(policy=policy),
                     **identity(model, width))  # fmt: skip


@cache
def point(model: str, width: float, policy: str, budget: int = 1) -> Mapping:
    _, geometry, costs = isaac()
    return costed_mapping(specs(model, width), geometry, costs, budget,
                        MapOptions(policy=policy, replicate=True),
                        **identity(model, width)).mapping  # fmt: skip


@cache
def des(model: str, width: float, policy: str, budget: int = 1) -> PerfResult:
    return simulate(plan_mapping(point(model, width, policy, budget), isaac()[2]), images=100)


def water_filling_q(mapping: Mapping, chips: int) -> float:
    """Hand model: replicas may be fractional; a layer with p_i <= q keeps its one copy of c_i
    crossbars, the others share what is left in proportion to p_i x c_i."""
    layers = [(lm.spec.output_pixels, lm.crossbars) for lm in mapping.rram_layers]
    capacity = chips * CROSSBARS_PER_CHIP
    q = float(max(p for p, _ in layers))
    for _ in range(100):
        fixed = sum(c for p, c in layers if p <= q)
        q = sum(p * c for p, c in layers if p > q) / (capacity - fixed)
    return q


@pytest.mark.parametrize("model", ["resnet20", "vgg13"])
def test_the_default_budget_is_the_chip_that_holds_the_widest_point(model: str) -> None:
    # ResNet-20 at 1.6: 423 crossbars; VGG-13 at 1.6 (102/204/409/819 channels, 16 weights
    # per crossbar row): 7 + 8x7 + 8x13 + 15x13 + 15x26 + 29x26 + 29x52 + 3 x 58x52 + 7
    # = 12,069 of the chip's 16,128
    assert default_budget_chips([plain(model, w, "cpu-1x1") for w in WIDTHS]) == 1
    assert plain("vgg13", 1.6, "cpu-1x1").crossbars == 12_069


@pytest.mark.parametrize("policy", ["cpu-1x1", "all-rram"])
def test_resnet20_throughput_falls_with_width_as_the_hand_model_says(policy: str) -> None:
    # Crossbar activations per image sum(p_i c_i) are 29,185 / 50,241 / 58,497 / 68,865
    # (cpu-1x1; at 1.0: conv1 1024 x 1 + layer1 6 x 1024 x 2 + layer2 256 x (4 + 5 x 6) +
    # layer3 64 x (12 + 5 x 20) + fc 1); spread over one chip's 16,128 crossbars q = 1.81 /
    # 3.12 / 3.63 / 4.27 MVMs. No layer is stuck at one copy except the 1-pixel classifier,
    # so archsim's integer replicas come within 3% of the fractional hand figure, always
    # slower. With cpu-1x1 the shortcuts' outputs and the result return over one 51.2 Gb/s
    # link direction, (32w x 256 + 64w x 64) x 16 + 160 bits per image (3.843 us at 1.0),
    # which replication cannot speed up: at width 1.0 it, not the crossbars, sets the pace.
    throughput = [des("resnet20", w, policy).throughput_images_per_s for w in WIDTHS]
    assert throughput == sorted(throughput, reverse=True) and throughput[0] > 1.35 * throughput[-1]
    for width, ips in zip(WIDTHS, throughput, strict=True):
        hand = 1 / (water_filling_q(plain("resnet20", width, policy), 1) * MVM_S)
        if policy == "cpu-1x1":
            c2, c3 = math.floor(32 * width), math.floor(64 * width)
            hand = min(hand, 51.2e9 / ((c2 * 256 + c3 * 64) * 16 + 160))
        assert 0.97 * hand < ips <= hand * (1 + 1e-9)
    if policy == "cpu-1x1":
        assert throughput[0] == pytest.approx(51.2e9 / 196_768, rel=1e-9)  # the link at 1.0
    # at 1.0 only the classifier (1 pixel, 1 crossbar) keeps its single copy:
    q = water_filling_q(plain("resnet20", 1.0, "cpu-1x1"), 1)
    assert q == pytest.approx((29_185 - 1) / (16_128 - 1), rel=1e-12)


def test_vgg13_throughput_falls_with_width_and_big_late_layers_set_the_pace_at_1_6() -> None:
    throughput = [des("vgg13", w, "cpu-1x1").throughput_images_per_s for w in WIDTHS]
    assert throughput == sorted(throughput, reverse=True)
    # At 1.6 one copy takes 12,069 crossbars: 7, 56, 104, 195, 390, 754, 1508, 3 x 3016 and 7
    # for the classifier (1,510 IMAs). Replicas ceil(p / q) for q = 1024 / 23 = 44.52 MVMs:
    # the 32x32 layers 23 copies, the 16x16 ones ceil(256 / 44.52) = 6, the 8x8 ones
    # ceil(64 / 44.52) = 2, the rest one: IMAs ceil(23 x 7 / 8) = 21 + ceil(23 x 56 / 8) = 161
    # + 78 + 147 + 98 + 189 + 189 + 3 x 377 + 1 = 2,015 of 2,016. The next q, 1024 / 24,
    # needs 21 + 168 + ... = 2,022 IMAs, too many. So the 32x32 layers set the pace at
    # 1024 / 23 waves of 1.6125 us = 71.79 us, 13,929 images/s (with 15 weights a row the
    # 8x8 layers could not get a second copy: 64 MVMs of 1.6 us, 9,766 images/s).
    mapping = point("vgg13", 1.6, "cpu-1x1")
    replicas = {lm.spec.name: lm.replicas for lm in mapping.rram_layers}
    assert [replicas[f"features.{i}"] for i in (0, 3, 7, 10, 14, 17, 21)] == [23, 23, 6, 6, 2, 2, 1]
    assert sum(imas_for(lm.crossbars, 8) for lm in mapping.rram_layers) == 2_015
    assert imas_for(24 * 7, 8) + imas_for(24 * 56, 8) - 21 - 161 > IMAS_PER_CHIP - 2_015
    vgg16 = des("vgg13", 1.6, "cpu-1x1")
    assert vgg16.interval_s == pytest.approx(1024 / 23 * MVM_S, rel=1e-6)
    assert vgg16.throughput_images_per_s == pytest.approx(13_929.26, rel=1e-6)
    # At 1.0 (4,604 crossbars a copy): q = 8 MVMs, replicas ceil(p / 8) = 128, 128, 32, 32,
    # 8, 8, 2, 2, 1, 1, 1 take 64 + 320 + 160 + 288 + 144 + 288 + 144 + 288 + 144 + 144 + 1
    # = 1,985 IMAs; the next q, 1024 / 129, would need 65 + 323 + 165 + 297 + 162 + 324 +
    # 216 + 432 + 144 + 144 + 1 = 2,273. So 8 x 1.6125 us = 12.9 us, 77,519 images/s.
    assert des("vgg13", 1.0, "cpu-1x1").interval_s == pytest.approx(8 * MVM_S, rel=1e-6)
    assert throughput[0] == pytest.approx(1 / 12.9e-6, rel=1e-6)
    # the fractional hand model (q = 7.85 MVMs) is an upper bound the integer replicas reach
    # within 10%
    hand = 1 / (water_filling_q(plain("vgg13", 1.0, "cpu-1x1"), 1) * MVM_S)
    assert 0.9 * hand < throughput[0] <= hand


def test_node_budget_resnet20_is_bound_by_the_cpu_link_and_keeps_only_useful_replicas() -> None:
    # With 64 chips the crossbars could stream an image per MVM (1.6125 us), but the 1x1
    # shortcuts' outputs and the result come back over one 51.2 Gb/s link direction:
    # (32 x 16 x 16 + 64 x 8 x 8) x 16 bits + 10 x 16 = 196,768 bits = 3.843 us per image.
    link_out_s = ((32 * 256 + 64 * 64) * 16 + 160) / 51.2e9
    mapping = point("resnet20", 1.0, "cpu-1x1", budget=64)
    plans = build_plans(mapping, isaac()[2])
    assert shared_resource_busy_s(plans)["cpu_link_out"] == pytest.approx(link_out_s, rel=1e-12)
    closed = analytic_estimate(plan_mapping(mapping, isaac()[2]))
    assert closed.interval_s == pytest.approx(link_out_s, rel=1e-9)
    assert closed.bottleneck.startswith("cpu_link_out")
    result = des("resnet20", 1.0, "cpu-1x1", budget=64)
    assert link_out_s * (1 - 1e-9) <= result.interval_s < 1.03 * link_out_s
    # every layer keeps the fewest replicas under 3.843 us, 2.38 MVMs of 1.6125 us: conv1
    # (1,024 pixels) needs ceil(1024 / 2.383) = 430 replicas, not the 1,024 a full node allows
    conv1 = mapping.rram_layers[0]
    assert conv1.replicas == math.ceil(1024 / (link_out_s / MVM_S))
    # the CPU path runs on all 28 of the host's 28 cores: its whole 694 mm^2 die is charged
    assert result.provisioned_area_mm2 == pytest.approx(64 * CHIP_AREA_MM2 + 694, rel=1e-6)
    assert result.occupied_area_mm2 < 2 * CHIP_AREA_MM2 + 694


def test_energy_and_area_columns_vary_where_physics_says() -> None:
    narrow, wide = des("resnet20", 1.0, "cpu-1x1"), des("resnet20", 1.6, "cpu-1x1")
    assert wide.energy_per_image_j > 1.5 * narrow.energy_per_image_j
    # static energy is static power x interval: the slower wide point pays more of it
    assert wide.static_energy_j / narrow.static_energy_j == pytest.approx(
        wide.interval_s / narrow.interval_s, rel=1e-6
    )
    # the CPU placement pays the CPU's busy power above idle, (205 - 50) W, while it computes
    # the two shortcuts' 262,144 MACs at 152.3 GMAC/s (1.72 us): 267 uJ, and the idle power of
    # the cores its CPU path uses (all 28 of 28: 50 W) over the interval, the host link's
    # 3.843 us: 192 uJ; all-rram pays none
    rram = des("resnet20", 1.0, "all-rram")
    cpu_j = 155.0 * 262_144 / 152.32e9 + 50.0 * narrow.interval_s
    assert narrow.interval_s == pytest.approx(196_768 / 51.2e9, rel=1e-9)
    assert rram.cpu_energy_j == 0 and narrow.cpu_energy_j == pytest.approx(cpu_j, rel=1e-9)
    # and the same share of the host's 694 mm^2 die, in the provisioned and occupied area
    assert rram.provisioned_area_mm2 == pytest.approx(CHIP_AREA_MM2)
    assert narrow.provisioned_area_mm2 == pytest.approx(CHIP_AREA_MM2 + 694)
