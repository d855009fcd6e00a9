"""Monte-Carlo over chips: exact edge cases, reproducibility, adaptive stopping, BN sets."""

import math

import pytest
import torch
from faults_support import digits, toy_mapping, trained_tiny
from scipy import stats as scipy_stats

from archsim.faults import (
    ChipDrawer,
    ChipPlan,
    FaultInjector,
    MonteCarloSpec,
    RunInfo,
    accuracy,
    accuracy_vs_rate,
    get_fault_model,
    run_chips,
    stability_score,
    stability_table,
)
from archsim.faults.bnsets import choose_bn
from archsim.faults.stats import summarize, t_half_width

INFO = RunInfo("tiny", 1.0, "digits", "test", "test", 16)


def _unchanged(fault_model: str, rate: float, technique: object = None) -> dict[str, torch.Tensor]:
    """A stand-in for recalibrating on the fly: a set that changes nothing."""
    return {}


def _run(preset: str, rate: float, chips: int = 8, seed: int = 0, bn_sets=None, **kw: object):
    model = trained_tiny()
    inj = FaultInjector(model, toy_mapping(model))
    _, _, x, y = digits()
    spec = MonteCarloSpec(chips=chips, seed=seed, progress=False, **kw)  # type: ignore[arg-type]
    drawer = ChipDrawer(inj.sites, get_fault_model(preset))
    bn = choose_bn(bn_sets, drawer.model.name, rate, _unchanged)
    return inj, run_chips(inj, ChipPlan(drawer, rate), x, y, spec, INFO, bn=bn)


def test_rate_zero_gives_exactly_the_quantized_fault_free_accuracy() -> None:
    inj, result = _run("cell-isaac", 0.0, chips=3)
    _, _, x, y = digits()
    with inj.applied(None) as model:
        quantized = accuracy(model, x, y)
    assert result.per_chip == (quantized,) * 3
    assert result.summary.std == 0.0 and result.realised_fraction == 0.0
    assert result.summary.mean == quantized and result.summary.ci_low == quantized


def test_rate_one_dropconnect_gives_the_all_zero_model() -> None:
    inj, result = _run("dropconnect", 1.0, chips=2)
    model, (_, _, x, y) = inj.model, digits()
    with torch.no_grad():
        for name in ("conv1", "conv3", "fc"):
            getattr(model, name).weight.zero_()
    assert result.per_chip == (accuracy(model, x, y),) * 2


def test_same_seed_same_per_chip_accuracies_other_seed_differs() -> None:
    a = _run("sft", 0.02, chips=6, seed=5)[1].per_chip
    b = _run("sft", 0.02, chips=6, seed=5)[1].per_chip
    c = _run("sft", 0.02, chips=6, seed=6)[1].per_chip
    assert a == b and a != c
    assert len(set(a)) > 1  # chips really differ


def test_adaptive_mode_stops_at_the_first_tight_enough_interval() -> None:
    fixed = _run("sft", 0.01, chips=40)[1].per_chip
    target, min_chips = 8.0, 5  # sft at 1% spreads chips by ~14 points
    stop = next(n for n in range(min_chips, 41) if t_half_width(fixed[:n]) <= target)
    _, adaptive = _run("sft", 0.01, chips=40, adaptive=target, min_chips=min_chips)
    assert adaptive.per_chip == fixed[:stop]
    assert adaptive.summary.half_width is not None and adaptive.summary.half_width <= target
    _, never = _run("sft", 0.01, chips=6, adaptive=1e-9, min_chips=2)
    assert never.chips == 6 and any("not reached" in n for n in never.notes)


def test_summary_statistics_by_hand() -> None:
    s = summarize([1.0, 2.0, 3.0, 4.0], threshold=2.5)
    half = scipy_stats.t.ppf(0.975, 3) * math.sqrt(5 / 3) / 2  # sd = sqrt(5/3)
    assert half == pytest.approx(2.0543, abs=1e-4)
    assert (s.mean, s.p50, s.yield_fraction) == (2.5, 2.5, 0.5)
    assert (s.ci_low, s.ci_high) == (pytest.approx(2.5 - half), pytest.approx(2.5 + half))
    assert s.p5 == pytest.approx(1.15) and s.p95 == pytest.approx(3.85)  # linear interpolation
    one = summarize([7.0])
    assert one.std is None and one.ci_low is None and one.yield_fraction is None


def test_recalibrated_batchnorm_set_is_used_for_its_rate_only() -> None:
    model = trained_tiny()
    shifted = {
        "bn1.running_mean": model.bn1.running_mean + 0.5,
        "bn1.running_var": model.bn1.running_var * 2.0,
    }
    original = model.bn1.running_mean.clone()
    inj, with_set = _run("sft", 0.01, chips=4, bn_sets={"sft:0.01": shifted})
    assert with_set.bn_set == "sft:0.01" and with_set.row()["bn_set"] == "sft:0.01"
    assert torch.equal(inj.model.bn1.running_mean, original)  # restored
    _, other_rate = _run("sft", 0.02, chips=4, bn_sets={"sft:0.01": shifted})
    _, plain = _run("sft", 0.02, chips=4)
    # no set at this rate: the rule recalibrates on the fly (here a stand-in), and says so
    assert other_rate.bn_set == "sft:0.02 (on the fly)" and "on the fly" in other_rate.notes[0]
    assert other_rate.row()["bn_set"] == "sft:0.02 (on the fly)"
    assert plain.row()["bn_set"] == "training"  # no set at all: training's, named
    _, other_model = _run("sft", 0.01, chips=4, bn_sets={"dropconnect:0.01": shifted})
    assert (
        other_model.bn_set == "sft:0.01 (on the fly)"
        and other_model.per_chip == _run("sft", 0.01, chips=4)[1].per_chip
    )  # a set made under another fault model is not used
    assert other_rate.per_chip == plain.per_chip
    # the set really is what the chips ran with: same chips with the stats written in by hand
    manual = trained_tiny()
    with torch.no_grad():
        manual.bn1.running_mean.copy_(shifted["bn1.running_mean"])
        manual.bn1.running_var.copy_(shifted["bn1.running_var"])
    inj2 = FaultInjector(manual, toy_mapping(manual))
    drawer = ChipDrawer(inj2.sites, get_fault_model("sft"))
    _, _, x, y = digits()
    by_hand = run_chips(inj2, ChipPlan(drawer, 0.01), x, y, MonteCarloSpec(4, progress=False), INFO)
    assert by_hand.per_chip == with_set.per_chip


def test_measured_fault_map_is_one_chip() -> None:
    inj, drawn = _run("cell-isaac", 0.001, chips=1, seed=9)
    chip = ChipDrawer(inj.sites, get_fault_model("cell-isaac")).draw(0.001, 9, 0)
    _, _, x, y = digits()
    result = run_chips(inj, ChipPlan(None, None, chip), x, y, MonteCarloSpec(progress=True), INFO)
    assert result.per_chip == drawn.per_chip and result.seed is None


def test_stability_score_reproduces_the_paper_table() -> None:
    # stochastic-training paper Table II (ResNet-32, CIFAR-100): one-shot P=0.01 and baseline
    assert stability_score(75.23, 75.10, 70.83) == pytest.approx(17.62, abs=0.01)
    assert stability_score(75.10, 75.10, 2.97) == pytest.approx(1.04, abs=0.005)
    assert stability_score(90.0, 80.0, 80.0) == math.inf  # nothing lost: unboundedly stable
    assert stability_score(90.0, 80.0, 81.0) == math.inf


def test_tables_by_rate() -> None:
    results = [_run("sft", r, chips=2)[1] for r in (0.0, 0.05)]
    rows = accuracy_vs_rate({"tiny": results})
    assert [r["rate"] for r in rows] == [0.0, 0.05]
    assert rows[0]["tiny"] == results[0].summary.mean
    table = stability_table(92.0, {"tiny": (91.0, results)})
    assert table[0]["ss@0.05"] == pytest.approx(91.0 / (92.0 - results[1].summary.mean))
