"""Table II of the drop-connect paper: the paper estimator, and what the DES says instead."""

from functools import cache

import pytest

from archsim.config.hardware import load_hardware
from archsim.mapping.mapper import map_net
from archsim.perf.analytic import analytic_estimate, estimate
from archsim.perf.des import simulate
from archsim.perf.hw_costs import costs_from_hardware
from archsim.perf.paper import TABLE_II, paper_reference
from archsim.perf.report_rows import paper_mismatch, table2_rows
from archsim.perf.result import PerfResult

WIDTHS = (1.0, 1.2, 1.4, 1.6)
IMAGES = 10_000


@cache
def isaac():  # type: ignore[no-untyped-def]
    return load_hardware("isaac")


@cache
def des(model: str, width: float) -> PerfResult:
    options = {"shortcut": "1x1"} if model == "resnet20" else {}
    mapping = map_net(model, width, isaac(), replicate=True, **options)
    return simulate(mapping, costs_from_hardware(isaac()), images=IMAGES)


@pytest.mark.parametrize("model", ["resnet20", "vgg13"])
@pytest.mark.parametrize("width", WIDTHS)
def test_paper_estimator_reproduces_table2_within_1_percent(model: str, width: float) -> None:
    options = {"shortcut": "1x1"} if model == "resnet20" else {}
    mapping = map_net(model, width, isaac(), **options)
    result = estimate(mapping, isaac(), "paper", IMAGES)
    latency, energy = TABLE_II[(model, width)]
    # e.g. ResNet-20 at 1.0: 40,813,184 MACs x 10,000 / 2.60e10 MAC/s = 15.697 s (paper
    # 15.74); x 7.198 W = 112.99 J (paper 113.32)
    assert result.total_latency_s == pytest.approx(latency, rel=0.01)
    assert result.total_energy_j == pytest.approx(energy, rel=0.01)


def test_paper_estimator_macs_are_the_papers_networks() -> None:
    # the MAC counts the calibration rests on (REFERENCE.md s.2, widths rounded down)
    resnet = map_net("resnet20", 1.0, isaac(), shortcut="1x1")
    assert resnet.total_macs == 40_813_184
    assert resnet.layer("conv1").spec.macs == 442_368  # 32*32*16*3*9
    assert resnet.layer("layer2.0.shortcut.0").spec.macs == 131_072  # 16*16*32*16
    assert map_net("vgg13", 1.0, isaac()).total_macs == 228_267_008


def test_mobilenetv2_is_shown_beside_the_paper_with_the_mismatch_explained() -> None:
    results = [estimate(map_net("mobilenetv2", w, isaac()), isaac(), "paper", IMAGES)
               for w in (1.0, 1.2)]  # fmt: skip
    rows = table2_rows(results, compare=True)
    # 91,154,944 MACs x 10,000 / 2.6e10 = 35.06 s against the paper's 0.68 s
    assert rows[0]["latency_s"] == pytest.approx(35.06, rel=1e-3)
    assert rows[0]["paper_latency_s"] == 0.68 and rows[1]["paper_latency_s"] == 0.96
    assert rows[0]["latency_vs_paper"].startswith("+5")  # +5056%: never hidden
    assert any("known, documented mismatch" in n for n in results[0].notes)


def test_table2_comparison_needs_the_papers_network() -> None:
    assert paper_mismatch("resnet20", {"shortcut": "1x1"}, (3, 32, 32), 10) is None
    assert "1x1 projection" in str(paper_mismatch("resnet20", {}, (3, 32, 32), 10))
    assert "CIFAR-10" in str(paper_mismatch("vgg13", {}, (1, 28, 28), 10))
    assert paper_reference("vgg13", 1.4) == (170.59, 1227.84)


def ratios(model: str, value: str) -> list[float]:
    results = [des(model, w) for w in WIDTHS]
    return [getattr(r, value) / getattr(results[0], value) for r in results[1:]]


def paper_ratios(model: str, column: int) -> list[float]:
    return [TABLE_II[(model, w)][column] / TABLE_II[(model, 1.0)][column] for w in WIDTHS[1:]]


def test_des_energy_ratios_of_vgg13_follow_table2_within_5_percent() -> None:
    # VGG-13's energy is dominated by ADC conversions, proportional to MVMs x crossbar
    # columns, which grow like its MACs: 1.436 / 1.935 / 2.520 against 1.426 / 1.942 / 2.534
    for ours, paper in zip(ratios("vgg13", "energy_per_image_j"), paper_ratios("vgg13", 1),
                           strict=True):  # fmt: skip
        assert ours == pytest.approx(paper, rel=0.05)


def test_des_latency_ratios_differ_from_table2_for_the_reasons_given() -> None:
    # ResNet-20 (1x1 shortcuts on the CPU): the CPU link carrying the shortcuts' inputs is the
    # pipeline's bottleneck at every width, (32*32*floor(16w) + 16*16*floor(32w)) x 16 bits /
    # 51.2 Gb/s + 2 x 1 us, which grows like the width, not like the MACs (paper: 1.41, 1.89,
    # 2.48; link: 1.15, 1.30, 1.45).
    def link_s(w: float) -> float:
        return (1024 * int(16 * w) + 256 * int(32 * w)) * 16 / 51.2e9 + 2e-6

    expected = [link_s(w) / link_s(1.0) for w in WIDTHS[1:]]
    ours = ratios("resnet20", "total_latency_s")
    assert ours == pytest.approx(expected, rel=0.03)
    assert all(des("resnet20", w).bottleneck.startswith("cpu_link_in") for w in WIDTHS)
    assert all(abs(o / p - 1) > 0.05 for o, p in zip(ours, paper_ratios("resnet20", 0),
                                                     strict=True))  # fmt: skip
    # VGG-13: replication may only fill the one chip the net occupies, and wider layers leave
    # fewer spare crossbars: the slowest stage (BN of the first conv on its tiles' shift-and-
    # add units; at 1.6 an unreplicated 8x8 conv) slows faster than the MACs grow.
    for w in WIDTHS:
        mapping = map_net("vgg13", w, isaac(), replicate=True)
        closed = analytic_estimate(mapping, costs_from_hardware(isaac()), images=IMAGES)
        assert des("vgg13", w).total_latency_s == pytest.approx(closed.total_latency_s, rel=0.02)
    assert ratios("vgg13", "total_latency_s")[-1] > 2 * paper_ratios("vgg13", 0)[-1]
