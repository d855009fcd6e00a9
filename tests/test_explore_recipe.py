"""Recipe settings of a sweep: training seeds as a grid axis, the input size, the training and
test subsets; and the findings they feed, on hand-made stored rows."""

from __future__ import annotations

from collections import Counter

import pytest
from sweep_rows import accuracy_row

from archsim.explore.expand import expand
from archsim.explore.expansion import DatasetShape
from archsim.explore.findings import findings
from archsim.explore.records import AccuracyRow
from archsim.explore.results import SweepData
from archsim.explore.spec import load_preset, spec_from_dict
from archsim.explore.verdict import NOT_IN_SWEEP, REPRODUCED

BASE = {
    "name": "t",
    "dataset": "digits",
    "models": ["resnet20"],
    "widths": [1.0],
    "training": {"epochs": 2, "methods": ["standard", "dropconnect"], "dropconnect_rates": [0.2]},
    "faults": {"rates": [0.0, 0.1], "chips": 4},
    "cost": {"compare_policies": [], "paper_table": False},
}
DIGITS = DatasetShape("digits", (1, 8, 8), 10, {"shortcut": "1x1"})


def _jobs(data: dict, shape: DatasetShape = DIGITS) -> list:
    spec = spec_from_dict(data)
    return list({j.key: j for j in expand(spec, {"resnet20": shape}).jobs}.values())


def test_training_seeds_multiply_trainings_not_chips() -> None:
    one = Counter(j.kind for j in _jobs(BASE))
    data = {**BASE, "training": {**BASE["training"], "seeds": [3, 4]}}
    jobs = _jobs(data)
    two = Counter(j.kind for j in jobs)
    # 2 trainings (standard, drop-connect 0.2) per seed; each evaluated at 2 rates
    assert (one["train"], two["train"]) == (2, 4)
    assert (one["evaluate"], two["evaluate"]) == (4, 8)
    assert {j.config["seed"] for j in jobs if j.kind == "train"} == {3, 4}
    # every evaluation meets the same chips: the sweep's seed (0), whatever the training seed
    assert {j.config["seed"] for j in jobs if j.kind == "evaluate"} == {0}
    assert {dict(j.point)["train_seed"] for j in jobs if j.kind == "evaluate"} == {3, 4}
    assert two["map"] == one["map"]  # cost does not depend on the training seed


def test_input_size_subsets_and_their_keys() -> None:
    plain = {j.kind: j for j in _jobs(BASE)}
    data = {
        **BASE,
        "training": {**BASE["training"], "limit": 500, "val_limit": 100},
        "faults": {**BASE["faults"], "images": 200},
    }
    padded = DatasetShape("digits", (1, 12, 12), 10, {"shortcut": "1x1"}, pad_to=12)
    jobs = {j.kind: j for j in _jobs(data, padded)}
    train = jobs["train"].config
    assert (train["limit"], train["val_limit"], train["pad_to"]) == (500, 100, 12)
    assert jobs["evaluate"].config["limit"] == 200
    assert jobs["map"].config["input_shape"] == [1, 12, 12]
    # settings left at their defaults stay out of the configs: old sweeps keep their keys
    assert not {"limit", "val_limit", "pad_to"} & set(plain["train"].config)
    assert "limit" not in plain["evaluate"].config


def test_every_shipped_finding_preset_states_its_input_size() -> None:
    for name in ("fmnist-dropconnect", "fmnist-sft", "mnist-bottleneck"):
        spec = load_preset(name)
        assert spec.input_size == 28 and len(spec.train_seeds) >= 2


def _row(
    method: str,
    rate: float,
    recal: bool,
    fault: float,
    seed: int,
    chips: list[float],
    policy: str = "cpu-1x1-ends",
) -> AccuracyRow:
    return accuracy_row(
        chips,
        method=method,
        train_rate=rate,
        recalibrate=recal,
        policy=policy,
        fault_rate=fault,
        train_seed=seed,
    )


def test_the_collapse_finding_by_hand() -> None:
    spec = load_preset("fmnist-dropconnect")
    rows = [
        _row("standard", 0.0, False, 0.3, 0, [20.0, 30.0, 10.0]),
        _row("standard", 0.0, False, 0.3, 1, [25.0, 35.0, 15.0]),
        _row("dropconnect", 0.3, True, 0.3, 0, [60.0, 70.0, 50.0]),
        _row("dropconnect", 0.3, True, 0.3, 1, [62.0, 72.0, 52.0]),
        _row("dropconnect", 0.1, True, 0.3, 0, [40.0, 41.0, 42.0]),  # worse: not the best p
        _row("dropconnect", 0.1, True, 0.3, 1, [40.0, 41.0, 42.0]),
    ]
    shape = DatasetShape("fashion-mnist", (1, 28, 28), 10, {"shortcut": "1x1"})
    data = SweepData(spec=spec, datasets={"resnet20": shape}, accuracy=rows)
    out = {f.key: f for f in findings(data)}
    assert len(out) == 15
    dc = out["DC-1"]
    # seed 0: +40 on every chip, seed 1: +37 on every chip -> chip means 38.5, no spread
    assert dc.effect is not None and dc.effect.mean == pytest.approx(38.5)
    assert (dc.effect.low, dc.effect.high) == (pytest.approx(38.5), pytest.approx(38.5))
    assert dc.effect.seed_means == pytest.approx((40.0, 37.0))
    assert dc.effect.seed_sd == pytest.approx(4.5**0.5)  # sd of (40, 37)
    assert dc.means == (pytest.approx(61.0), pytest.approx(22.5))
    assert "p=0.3" in dc.test and dc.verdict == REPRODUCED
    # one width in the sweep; no fault-model axis; no rows for the stem policy
    assert out["DC-4"].verdict == NOT_IN_SWEEP and "widths" in out["DC-4"].test
    assert out["SFT-3"].verdict == NOT_IN_SWEEP
    assert out["STEM"].verdict == NOT_IN_SWEEP


def test_compare_fault_models_evaluate_the_raw_baseline_at_the_pareto_rates() -> None:
    data = {
        **BASE,
        "training": {**BASE["training"], "seeds": [0, 1]},
        "faults": {**BASE["faults"], "compare_models": ["dropconnect", "stuck-on"]},
    }
    spec = spec_from_dict(data)
    out = expand(spec, {"resnet20": DIGITS})
    # the main model (dropconnect) is not repeated: stuck-on x 1 Pareto rate (0.1) x 2 seeds
    evs = out.fault_model_evaluations
    assert len(evs) == 2 and {e.point["fault_model"] for e in evs} == {"stuck-on"}
    assert {e.point["train_seed"] for e in evs} == {0, 1} and {e.fault_rate for e in evs} == {0.1}
    jobs = {j.key: j for j in out.jobs}
    assert all(jobs[e.key].config["fault_model"] == "stuck-on" for e in evs)
    assert all(dict(jobs[e.key].deps)["model"] == e.train_key for e in evs)  # not recalibrated
    assert not {e.key for e in evs} & {e.key for e in out.evaluations}


def test_pages_that_show_one_training_read_the_first_seed_only() -> None:
    from archsim.explore.results import one_training_seed

    spec = load_preset("fmnist-dropconnect")
    first = spec.train_seeds[0]
    rows = [_row("standard", 0.0, False, 0.3, s, [20.0 + s]) for s in spec.train_seeds]
    data = SweepData(spec=spec, datasets={}, accuracy=rows)
    view, seed = one_training_seed(data)
    assert seed == first and len(spec.train_seeds) >= 2
    assert [r.point.train_seed for r in view.accuracy] == [first]
    assert len(data.accuracy) == len(spec.train_seeds)  # the findings still see every seed
    single = SweepData(spec=spec_from_dict(BASE), datasets={}, accuracy=rows[:1])
    assert one_training_seed(single) == (single, None)
