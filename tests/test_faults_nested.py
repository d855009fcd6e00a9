"""Two-stage (nested) Monte-Carlo: exactness at m = N, coverage, components, allocation, pairing."""

import math

import numpy as np
import pytest
import torch
from faults_support import digits, toy_mapping, trained_tiny

from archsim.errors import UserError
from archsim.faults import ChipDrawer, FaultInjector, MonteCarloSpec, RunInfo, get_fault_model
from archsim.faults.inject import storage_view
from archsim.faults.montecarlo import ChipPlan, accuracy, run_chips
from archsim.faults.nested import (
    ChipScore,
    Components,
    allocate,
    chip_score,
    components,
    image_order,
)
from archsim.faults.paired import run_paired
from archsim.faults.sequential import Design, mean_figure, sample
from archsim.faults.stats import wilson_interval

INFO = RunInfo("tiny", 1.0, "digits", "test", "test", 16)


def _setup(preset: str = "sft"):
    model = trained_tiny()
    inj = FaultInjector(model, toy_mapping(model))
    return inj, ChipDrawer(inj.sites, get_fault_model(preset))


def _spec(**kw: object) -> MonteCarloSpec:
    return MonteCarloSpec(progress=False, **kw)  # type: ignore[arg-type]


def test_nested_with_every_image_equals_the_one_stage_loop_exactly() -> None:
    inj, drawer = _setup()
    _, _, x, y = digits()
    today = []  # the one-stage loop: every chip on every test image, in order
    for chip in range(6):
        with inj.applied(drawer.draw(0.02, 3, chip)) as model:
            today.append(accuracy(model, x, y))
    default = run_chips(inj, ChipPlan(drawer, 0.02), x, y, _spec(chips=6, seed=3), INFO)
    every = run_chips(
        inj, ChipPlan(drawer, 0.02), x, y, _spec(chips=6, seed=3, images_per_chip=len(x)), INFO
    )
    more = run_chips(
        inj, ChipPlan(drawer, 0.02), x, y, _spec(chips=6, seed=3, images_per_chip=10**6), INFO
    )
    assert default.per_chip == every.per_chip == more.per_chip == tuple(today)
    assert default.summary == every.summary == more.summary
    assert default.chip_images == 6 * len(x) and default.images_per_chip == len(x)
    assert not any("two-stage" in n for n in default.notes)


def test_subsets_are_seeded_prefixes_without_replacement_and_counted() -> None:
    a, b = image_order(0, 4, 100), image_order(0, 4, 100)
    assert torch.equal(a, b) and sorted(a.tolist()) == list(range(100))
    assert not torch.equal(a, image_order(0, 5, 100))
    inj, drawer = _setup()
    _, _, x, y = digits()
    run = run_chips(
        inj, ChipPlan(drawer, 0.02), x, y, _spec(chips=5, seed=1, images_per_chip=40), INFO
    )
    assert run.chip_images == 5 * 40 and run.images_per_chip == 40
    for chip, acc in enumerate(run.per_chip):  # chip i on its own first 40 images
        where = image_order(1, chip, len(x))[:40]
        with inj.applied(drawer.draw(0.02, 1, chip)) as model:
            assert acc == accuracy(model, x[where], y[where])
    assert any("two-stage" in n for n in run.notes)


def test_components_and_allocation_by_hand() -> None:
    # Two chips, m = 2 of N = 4: per-image scores (100, 0) and (100, 100).
    s = [chip_score(torch.tensor([100.0, 0.0])), chip_score(torch.tensor([100.0, 100.0]))]
    assert s[0] == ChipScore(50.0, 5000.0, 2) and s[1] == ChipScore(100.0, 0.0, 2)
    parts = components(s, 4)
    # S_w^2 = (5000 + 0) / 2 = 2500; s^2 of (50, 100) = 1250; S_b^2 = 1250 - (1 - 2/4) 2500/2
    assert (parts.within, parts.between) == (2500.0, 625.0)
    # A = 900 - 100/1000 = 899.9, B = 100, c = 9: m* = sqrt(9 * 100 / 899.9) = 1.0001 -> 1, but
    # at least 2; with c = 3600, m* = sqrt(3600 * 100 / 899.9) = 20.001 -> 20.
    p = Components(900.0, 100.0, 10, 50.0, 1000)
    assert allocate(p, 2.0, 9.0).images_per_chip == 2
    plan = allocate(p, 2.0, 3600.0)
    # k = 1.96^2 (900 + (1 - 20/1000) 100 / 20) / 2^2 = 3.8415 * 904.9 / 4 = 869.05 -> 870
    assert (plan.images_per_chip, plan.chips, plan.chip_images) == (20, 870, 17400)
    assert allocate(Components(0.0, 100.0, 10, 50.0, 1000), 1.0, 5.0).images_per_chip == 1000
    assert allocate(Components(9.0, 0.0, 10, 50.0, 1000), 1.0, 5.0).images_per_chip == 2


class Synthetic:
    """A population of chips with known variance components, as a `ChipSampler` stand-in.

    Chip c's accuracy P_c ~ N(mu, sb^2) clipped to [0.02, 0.98]; its N test images are
    Bernoulli(P_c). The true mean of the full-test-set accuracies is 100 E[clip(P)].
    """

    arms = (None,)

    def __init__(self, rng: np.random.Generator, mu: float, sb: float, n: int) -> None:
        self.rng, self.mu, self.sb, self.test_images = rng, mu, sb, n
        self.chips: dict[int, torch.Tensor] = {}
        self.chip_images = 0

    def correct(self, arm: int, chip: int, m: int) -> torch.Tensor:
        if chip not in self.chips:
            p = float(np.clip(self.rng.normal(self.mu, self.sb), 0.02, 0.98))
            self.chips[chip] = torch.from_numpy(self.rng.random(self.test_images) < p)
        return self.chips[chip][:m]  # images are exchangeable: a prefix is a random subset


def _true_mean(mu: float, sb: float) -> float:
    draws = np.clip(np.random.default_rng(99).normal(mu, sb, 4_000_000), 0.02, 0.98)
    return 100.0 * float(draws.mean())


@pytest.mark.parametrize(
    "images, target", [(40, None), pytest.param("auto", 3.0, marks=pytest.mark.slow)]
)
def test_nested_interval_covers_the_true_mean_at_its_nominal_rate(
    images: object, target: float | None
) -> None:
    mu, sb, n, reps = 0.7, 0.12, 2000, 1000
    truth = _true_mean(mu, sb)
    rng = np.random.default_rng(7)
    covered, between_only, sizes = 0, 0, []
    for _ in range(reps):
        pop = Synthetic(rng, mu, sb, n)
        design = Design(
            25 if target is None else 400,
            images,
            target,
            10,  # type: ignore[arg-type]
            pilot_chips=10,
            pilot_images=200,
            chip_cost=20.0,
        )
        run = sample(pop, mean_figure(0), design)  # type: ignore[arg-type]
        ys = [s.mean for s in run.figure]
        mean = sum(ys) / len(ys)
        covered += abs(mean - truth) <= run.half_width
        parts = components(run.figure, n)  # the interval without the within-chip term
        naive = run.half_width * math.sqrt(parts.between / float(np.var(ys, ddof=1)))
        between_only += abs(mean - truth) <= naive
        sizes.append(run.images_per_chip)
    # 95% nominal; over 1000 seeded repetitions the binomial sd is 0.69 points: allow +-2.
    assert 0.93 <= covered / reps <= 0.97
    assert between_only / reps < 0.93  # ignoring the within-chip variance under-covers
    if images == "auto":  # sb = 12 points, S_w ~ 46 points: m* = sqrt(20 * 2100 / 144) ~ 17-20
        assert 15 <= float(np.median(sizes)) <= 40


def test_adaptive_auto_stops_on_the_reported_mean_and_counts_the_pilot() -> None:
    inj, drawer = _setup()
    _, _, x, y = digits()
    run = run_chips(
        inj,
        ChipPlan(drawer, 0.02),
        x,
        y,
        _spec(
            chips=400,
            adaptive=4.0,
            min_chips=10,
            images_per_chip="auto",
            pilot_chips=8,
            pilot_images=60,
            chip_cost=20.0,
        ),
        INFO,
    )
    assert run.summary.half_width is not None and run.summary.half_width <= 4.0
    m = run.images_per_chip
    assert m is not None and run.allocation is not None and m == run.allocation.images_per_chip
    # The pilot scored chips 0..7 on 60 images; the run reuses their first m and scores the
    # rest of its chips on m: chip-images = 8 * max(60, m) + (chips - 8) * m.
    assert run.chip_images == 8 * max(60, m) + (run.chips - 8) * m
    assert any("pilot of 8 chips" in n for n in run.notes)


def test_stop_on_the_yield_uses_its_wilson_interval() -> None:
    low, high = wilson_interval(0, 10)  # z^2/n = 0.38415: high = 0.38415 / 1.38415 = 0.27753
    assert low == 0.0 and high == pytest.approx(0.27753, abs=1e-5)
    inj, drawer = _setup()
    _, _, x, y = digits()
    run = run_chips(
        inj,
        ChipPlan(drawer, 0.02),
        x,
        y,
        _spec(chips=200, adaptive=15.0, min_chips=5, stop_on="yield", threshold=80.0),
        INFO,
    )
    s = run.summary
    assert s.yield_low is not None and s.yield_high is not None
    assert 100 * (s.yield_high - s.yield_low) / 2 <= 15.0
    prior = wilson_interval(sum(a >= 80.0 for a in run.per_chip[:-1]), run.chips - 1)
    assert run.chips == 5 or 100 * (prior[1] - prior[0]) / 2 > 15.0  # the first one that did
    with pytest.raises(UserError, match="exact per-chip"):
        run_chips(
            inj,
            ChipPlan(drawer, 0.02),
            x,
            y,
            _spec(chips=5, stop_on="yield", threshold=80.0, images_per_chip=30),
            INFO,
        )


def test_paired_difference_uses_the_same_chips_and_images() -> None:
    inj_a, drawer = _setup()
    other = trained_tiny(steps=60)  # a weaker model with the same layers
    inj_b = FaultInjector(other, toy_mapping(other))
    _, _, x, y = digits()
    spec = _spec(chips=12, seed=2, images_per_chip=50)
    pair = run_paired(inj_a, inj_b, ChipPlan(drawer, 0.02), x, y, spec, (INFO, INFO))
    alone_a = run_chips(inj_a, ChipPlan(drawer, 0.02), x, y, spec, INFO)
    alone_b = run_chips(
        inj_b, ChipPlan(ChipDrawer(inj_b.sites, drawer.model), 0.02), x, y, spec, INFO
    )
    assert pair.first.per_chip == alone_a.per_chip and pair.second.per_chip == alone_b.per_chip
    assert pair.per_chip == pytest.approx(
        [a - b for a, b in zip(alone_a.per_chip, alone_b.per_chip, strict=True)]
    )
    assert pair.chip_images == 2 * 12 * 50
    self_pair = run_paired(inj_a, inj_a, ChipPlan(drawer, 0.02), x, y, spec, (INFO, INFO))
    assert set(self_pair.per_chip) == {0.0} and self_pair.difference.half_width == 0.0
    stopped = run_paired(
        inj_a,
        inj_b,
        ChipPlan(drawer, 0.02),
        x,
        y,
        _spec(chips=300, seed=2, adaptive=3.0, min_chips=5),
        (INFO, INFO),
    )
    assert stopped.difference.half_width is not None and stopped.difference.half_width <= 3.0


def test_unpairable_models_are_a_user_error() -> None:
    inj_a, drawer = _setup()
    wide = trained_tiny(width=8)
    inj_b = FaultInjector(wide, toy_mapping(wide))
    _, _, x, y = digits()
    with pytest.raises(UserError, match="same RRAM layers"):
        run_paired(inj_a, inj_b, ChipPlan(drawer, 0.02), x, y, _spec(chips=2), (INFO, INFO))


def test_storage_view_writes_the_same_weights_in_any_layout() -> None:
    w = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5)
    last = w.contiguous(memory_format=torch.channels_last)
    stored = w.permute(0, 1, 3, 2).contiguous().permute(0, 1, 3, 2)  # a replica's weights'
    single = w[:1].permute(0, 2, 1, 3).contiguous().permute(0, 2, 1, 3)  # a size-1 dimension
    where = torch.tensor([0, 7, 59, 119])
    for t in (w.clone(), last.clone(), stored, single):
        where = where[where < t.numel()]
        flat, offsets = storage_view(t, where)
        flat[offsets] = -1.0
        expect = w[: len(t)].clone().reshape(-1)
        expect[where] = -1.0
        assert torch.equal(t.reshape(-1), expect)
    with pytest.raises(ValueError, match="dense"):
        storage_view(w[:, :, :, ::2], where)
    assert math.isfinite(float(last.sum()))
