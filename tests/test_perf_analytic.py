"""The closed-form model against the DES, and the `estimate_point` entry point."""

from functools import cache

import pytest
from test_perf_des import COSTS, conv, toy_mapping

from archsim.config.hardware import load_hardware
from archsim.errors import UserError
from archsim.mapping.mapper import map_net
from archsim.mapping.options import MapOptions
from archsim.mapping.records import Mapping
from archsim.perf.analytic import analytic_estimate
from archsim.perf.des import simulate
from archsim.perf.estimators import estimate_point
from archsim.perf.hw_costs import costs_from_hardware
from archsim.perf.plan import plan_mapping


@cache
def isaac_costs():  # type: ignore[no-untyped-def]
    return costs_from_hardware(load_hardware("isaac"))


@cache
def mapped(model: str, width: float, policy: str = "cpu-1x1") -> Mapping:
    options = {"shortcut": "1x1"} if model == "resnet20" else {}
    return map_net(
        model,
        width,
        "isaac",
        options=MapOptions(policy=policy, replicate=True),
        net_options=options,
    )


def test_closed_form_of_the_two_layer_toy_pipeline() -> None:
    mapping = toy_mapping(conv("conv1", 2, 3), conv("conv2", 3, 3))
    result = analytic_estimate(plan_mapping(mapping, COSTS), images=5)
    # latency 11.2 us (timeline in test_perf_des.py); every stage is busy 4 x 1.6 us or
    # 4 x 0.8 us per image, so images leave 6.4 us apart: 5 images take 11.2 + 4 x 6.4 us
    assert result.latency_s == pytest.approx(11.2e-6, rel=1e-9)
    assert result.interval_s == pytest.approx(6.4e-6, rel=1e-9)
    assert result.total_latency_s == pytest.approx(36.8e-6, rel=1e-9)
    assert result.events == 0 and result.estimator == "analytic"


@pytest.mark.parametrize(
    ("model", "width", "policy"),
    [("vgg13", 1.0, "cpu-1x1"), ("vgg13", 1.6, "cpu-1x1"), ("resnet20", 1.0, "all-rram")],
)
def test_des_agrees_with_closed_form_without_contention(
    model: str, width: float, policy: str
) -> None:
    # ISAAC has one ADC per crossbar and these mappings use no CPU: nothing is shared.
    mapping = mapped(model, width, policy)
    des = simulate(plan_mapping(mapping, isaac_costs()), images=10_000)
    closed = analytic_estimate(plan_mapping(mapping, isaac_costs()), images=10_000)
    assert des.latency_s == pytest.approx(closed.latency_s, rel=0.02)
    assert des.interval_s == pytest.approx(closed.interval_s, rel=0.02)
    assert des.total_latency_s == pytest.approx(closed.total_latency_s, rel=0.02)
    assert des.energy_per_image_j == pytest.approx(closed.energy_per_image_j, rel=0.02)
    assert des.bottleneck == closed.bottleneck
    assert des.events > 0 and not any(n.startswith("analytic:") for n in closed.notes)


def test_shared_cpu_path_is_contention_the_closed_form_notes() -> None:
    # ResNet-20 replicated over the whole node: the crossbars could take an image per 1.6 us
    # MVM, but the two 1x1 shortcuts run on the CPU and share its link with the image I/O.
    # Out direction: the shortcuts' (32 x 16 x 16 + 64 x 8 x 8) values and the 10 logits at
    # 16 bits = 196,768 bits / 51.2 Gb/s = 3.843 us per image. (In: the stride-2 shortcuts
    # read a quarter of their inputs, 65,536 + 32,768 bits, plus the 49,152-bit image.)
    mapping = map_net(
        "resnet20",
        1.0,
        "isaac",
        options=MapOptions(policy="cpu-1x1", replicate=True, replicate_scope="node"),
        net_options={"shortcut": "1x1"},
    )
    closed = analytic_estimate(plan_mapping(mapping, isaac_costs()), images=10_000)
    assert closed.interval_s == pytest.approx(196_768 / 51.2e9, rel=1e-9)
    assert closed.bottleneck == "cpu_link_out (shared by CPU layers and the image I/O)"
    assert any("2 CPU layers share the CPU" in n for n in closed.notes)
    des = simulate(plan_mapping(mapping, isaac_costs()), images=10_000)
    assert des.latency_s >= closed.latency_s * (1 - 1e-9)
    assert closed.interval_s * (1 - 1e-9) <= des.interval_s < 1.03 * closed.interval_s
    assert des.cpu_time_s > 0 and des.cpu_energy_j > 0 and des.dynamic_energy_j > 0


def test_estimate_dispatches_and_rejects_unknown_estimators() -> None:
    point = plan_mapping(toy_mapping(conv("conv", 2, 3)), COSTS)
    assert estimate_point(point, "des").estimator == "des"
    assert estimate_point(point, "analytic").estimator == "analytic"
    with pytest.raises(UserError, match="unknown estimator 'roofline'"):
        estimate_point(point, "roofline")
    with pytest.raises(UserError, match="needs a hardware description, not a cost table"):
        estimate_point(point, "paper")
