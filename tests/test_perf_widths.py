"""Balanced-pipeline throughput across widths in the default chip budget, by hand.

Every width of one call shares one budget: the fewest chips holding the widest point with one
copy of each layer (one ISAAC chip for ResNet-20 and VGG-13 at widths 1.0-1.6). Inside it each
layer gets r_i = ceil(p_i / q) replicas (p_i output pixels) for the smallest q that fits, so
the pipeline streams an image every q MVMs of 1.6 us (16 one-bit cycles of 100 ns) unless a
stage replication cannot multiply (the CPU, its link) is slower. docs/validation.md has the
tables these tests pin down.
"""

import math
from functools import cache

import pytest

from archsim.config.hardware import load_hardware
from archsim.mapping.geometry import resolve_geometry
from archsim.mapping.mapper import map_specs, trace_net
from archsim.mapping.options import MapOptions
from archsim.mapping.records import Mapping
from archsim.mapping.replication import imas_for
from archsim.perf.analytic import analytic_estimate
from archsim.perf.assemble import shared_resource_busy_s
from archsim.perf.balance import default_budget_chips, design_point
from archsim.perf.des import simulate
from archsim.perf.hw_costs import costs_from_hardware
from archsim.perf.plan import build_plans
from archsim.perf.result import PerfResult

WIDTHS = (1.0, 1.2, 1.4, 1.6)
MVM_S = 16 * 100e-9
CROSSBARS_PER_CHIP, IMAS_PER_CHIP = 168 * 12 * 8, 168 * 12


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
    return design_point(specs(model, width), geometry, costs, budget,
                        MapOptions(policy=policy, replicate=True),
                        **identity(model, width))  # fmt: skip


@cache
def des(model: str, width: float, policy: str, budget: int = 1) -> PerfResult:
    return simulate(point(model, width, policy, budget), isaac()[2], images=100)


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
    # ResNet-20 at 1.6: 423 crossbars; VGG-13 at 1.6: 12,789 of the chip's 16,128
    assert default_budget_chips([plain(model, w, "cpu-1x1") for w in WIDTHS]) == 1
    assert plain("vgg13", 1.6, "cpu-1x1").crossbars == 12_789


@pytest.mark.parametrize("policy", ["cpu-1x1", "all-rram"])
def test_resnet20_throughput_falls_with_width_as_the_hand_model_says(policy: str) -> None:
    # Crossbar activations per image sum(p_i c_i) are 48,641 / 52,353 / 58,497 / 68,865
    # (cpu-1x1); spread over one chip's 16,128 crossbars q = 3.02 / 3.25 / 3.63 / 4.27 MVMs.
    # No layer is stuck at one copy except the 1-pixel classifier, so archsim's integer
    # replicas come within 3% of the fractional hand figure, always slower.
    throughput = [des("resnet20", w, policy).throughput_images_per_s for w in WIDTHS]
    assert throughput == sorted(throughput, reverse=True) and throughput[0] > 1.35 * throughput[-1]
    for width, ips in zip(WIDTHS, throughput, strict=True):
        hand = 1 / (water_filling_q(plain("resnet20", width, policy), 1) * MVM_S)
        assert 0.97 * hand < ips <= hand * (1 + 1e-9)
    # at 1.0 only the classifier (1 pixel, 1 crossbar) keeps its single copy:
    q = water_filling_q(plain("resnet20", 1.0, "cpu-1x1"), 1)
    assert q == pytest.approx((48_641 - 1) / (16_128 - 1), rel=1e-12)


def test_vgg13_throughput_falls_with_width_and_big_late_layers_set_the_pace_at_1_6() -> None:
    throughput = [des("vgg13", w, "cpu-1x1").throughput_images_per_s for w in WIDTHS]
    assert throughput == sorted(throughput, reverse=True)
    # At 1.6 one copy takes 12,789 crossbars (1,889 of the 2,016 IMAs once replicated); the
    # 8x8 layers features.14 and .17 (420 and 812 crossbars, 53 and 102 IMAs a copy) cannot
    # both get a second copy in the 127 IMAs left, so they stream 64 MVMs per image:
    # 64 x 1.6 us = 102.4 us, 9,766 images/s.
    mapping = point("vgg13", 1.6, "cpu-1x1")
    late = {lm.spec.name: lm for lm in mapping.rram_layers}
    assert (late["features.14"].replicas, late["features.17"].replicas) == (1, 1)
    used = sum(imas_for(lm.crossbars, 8) for lm in mapping.rram_layers)
    assert used + imas_for(420, 8) + imas_for(812, 8) > IMAS_PER_CHIP
    assert des("vgg13", 1.6, "cpu-1x1").interval_s == pytest.approx(64 * MVM_S, rel=1e-6)
    # at 1.0 the fractional hand model (q = 9.14 MVMs, 68,392 images/s) is an upper bound the
    # integer replicas reach within 10%
    hand = 1 / (water_filling_q(plain("vgg13", 1.0, "cpu-1x1"), 1) * MVM_S)
    assert 0.9 * hand < throughput[0] <= hand


def test_node_budget_resnet20_is_bound_by_the_cpu_link_and_keeps_only_useful_replicas() -> None:
    # With 64 chips the crossbars could stream an image per MVM (1.6 us), but the 1x1
    # shortcuts' outputs and the result come back over one 51.2 Gb/s link direction:
    # (32 x 16 x 16 + 64 x 8 x 8) x 16 bits + 10 x 16 = 196,768 bits = 3.843 us per image.
    link_out_s = ((32 * 256 + 64 * 64) * 16 + 160) / 51.2e9
    mapping = point("resnet20", 1.0, "cpu-1x1", budget=64)
    plans = build_plans(mapping, isaac()[2])
    assert shared_resource_busy_s(plans)["cpu_link_out"] == pytest.approx(link_out_s, rel=1e-12)
    closed = analytic_estimate(mapping, isaac()[2])
    assert closed.interval_s == pytest.approx(link_out_s, rel=1e-9)
    assert closed.bottleneck.startswith("cpu_link_out")
    result = des("resnet20", 1.0, "cpu-1x1", budget=64)
    assert link_out_s <= result.interval_s < 1.03 * link_out_s
    # every layer keeps the fewest replicas under 3.843 us, 2.4 MVMs: conv1 (1,024 pixels)
    # needs ceil(1024 / 2.4) = 427 replicas, not the 1,024 a full node would allow
    conv1 = mapping.rram_layers[0]
    assert conv1.replicas == math.ceil(1024 / (link_out_s / MVM_S))
    assert result.provisioned_area_mm2 == pytest.approx(64 * 85.42472, rel=1e-6)
    assert result.occupied_area_mm2 < 2 * 85.42472


def test_energy_and_area_columns_vary_where_physics_says() -> None:
    narrow, wide = des("resnet20", 1.0, "cpu-1x1"), des("resnet20", 1.6, "cpu-1x1")
    assert wide.energy_per_image_j > 1.5 * narrow.energy_per_image_j
    # static energy is static power x interval: the slower wide point pays more of it
    assert wide.static_energy_j / narrow.static_energy_j == pytest.approx(
        wide.interval_s / narrow.interval_s, rel=1e-6
    )
    # the CPU placement pays the CPU's busy power above idle, (205 - 50) W, while it computes
    # the two shortcuts' 262,144 MACs at 152.3 GMAC/s (1.72 us): 267 uJ; all-rram pays none
    rram = des("resnet20", 1.0, "all-rram")
    cpu_j = 155.0 * 262_144 / 152.32e9
    assert rram.cpu_energy_j == 0 and narrow.cpu_energy_j == pytest.approx(cpu_j, rel=1e-9)
    assert narrow.provisioned_area_mm2 == rram.provisioned_area_mm2 == pytest.approx(85.42472)
