"""The sweep's `tolerance` axis: its jobs, their charged costs, paired gains on the same chips,
the front, its one-line errors, and the old keys of sweeps without it."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from faults_support import save_trained_lenet5
from sweep_rows import accuracy_row, tolerance_row

from archsim.cli import cli
from archsim.explore.expand import expand
from archsim.explore.expansion import DatasetShape, Expansion
from archsim.explore.ft_study import load_study
from archsim.explore.ft_techniques import Technique, run_technique
from archsim.explore.jobs import JobContext
from archsim.explore.kinds.tolerance import charge, run_tolerance
from archsim.explore.pareto_table import pareto_rows
from archsim.explore.spec import spec_from_dict
from archsim.explore.tolerance_axis import axis_techniques
from archsim.explore.tolerance_rows import tolerance_costs, tolerance_rows
from archsim.faults.presets import get_fault_model

SPEC = {
    "name": "t",
    "dataset": "digits",
    "models": ["lenet5"],
    "widths": [1.0],
    "training": {
        "epochs": 1,
        "methods": ["standard", "dropconnect"],
        "dropconnect_rates": [0.2],
        "val_chips": 0,
    },
    "faults": {"rates": [0.0, 0.1, 0.2], "chips": 3},
    "cost": {"compare_policies": [], "paper_table": False},
}
AXIS = ["remap", "spare-1", "remap+spare-1"]
SHAPE = DatasetShape("digits", (1, 8, 8), 10)


def _expand(data: dict[str, Any]) -> Expansion:
    return expand(spec_from_dict(data), {"lenet5": SHAPE})


def test_the_axis_expands_to_each_trained_point_technique_and_pareto_rate() -> None:
    out = _expand({**SPEC, "tolerance": AXIS})
    jobs = [j for j in out.jobs if j.kind == "tolerance"]
    # 2 trainings (standard, drop-connect 0.2) x 2 Pareto rates (the nonzero 0.1, 0.2) x
    # 4 techniques (none, added as the reference, and the 3 listed)
    assert len(jobs) == len({j.key for j in jobs}) == 2 * 2 * 4
    assert [t.name for t in axis_techniques(AXIS)] == ["none", *AXIS]
    trains = {j.key for j in out.jobs if j.kind == "train"}
    # the sweep recalibrates (the default), so the axis runs the recalibrated checkpoints of
    # the sweep's placement: the ones its evaluation rows run (the same BatchNorm sets)
    recals = {j.key: dict(j.deps)["model"] for j in out.jobs if j.kind == "recalibrate"}
    (sim,) = [j.key for j in out.jobs if j.kind == "simulate"]
    evaluated = {dict(j.deps).get("model") for j in out.jobs if j.kind == "evaluate"}
    for job in jobs:
        deps = dict(job.deps)
        assert recals[deps["model"]] in trains and deps["cost"] == sim
        assert deps["model"] in evaluated and dict(job.point)["recalibrate"] is True
        # every technique meets the sweep's chips: same seed, count and fault model
        assert (job.config["seed"], job.config["chips"], job.config["policy"]) == (0, 3, "cpu-1x1")
    assert {(dict(j.point)["tolerance"], j.config["rate"]) for j in jobs} == {
        (t, r) for t in ["none", *AXIS] for r in (0.1, 0.2)
    }


def test_a_sweep_without_the_axis_keeps_its_old_job_keys() -> None:
    keys = sorted({j.key for j in _expand(SPEC).jobs})
    # the same spec expanded once evaluation jobs took their cost job as an input (they fault
    # every replica of the chip it balances, so their results, and keys, changed then): 12
    # jobs whose sorted keys, comma-joined, hash to this digest; a changed key would rerun
    # old sweeps
    assert len(keys) == 12
    assert hashlib.sha256(",".join(keys).encode()).hexdigest()[:16] == "e26b8aa0eab50802"
    with_axis = {j.key for j in _expand({**SPEC, "tolerance": AXIS}).jobs if j.kind != "tolerance"}
    assert with_axis == set(keys)


@pytest.mark.parametrize("bad", ["magic", "spare-1+remap", "spare-0", "remap+remap"])
def test_an_unknown_technique_is_one_error_line(tmp_path: Path, bad: str) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({**SPEC, "tolerance": ["remap", bad]}))
    result = CliRunner().invoke(
        cli, ["pareto", "--spec", str(spec), "--out", str(tmp_path / "out"), "--no-report"]
    )
    assert result.exit_code != 0 and "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "tolerance" in lines[0]
    assert bad in lines[0] and not (tmp_path / "out").exists()


def test_charging_a_technique_on_the_sweeps_cost_by_hand() -> None:
    sweep = {"throughput_ips": 1000.0, "energy_per_image_j": 2e-6, "occupied_area_mm2": 3.0}
    none = {"throughput_ips": 500.0, "energy_per_image_j": 1e-6, "occupied_area_mm2": 1.0}
    own = {"throughput_ips": 400.0, "energy_per_image_j": 1.5e-6, "occupied_area_mm2": 1.2}
    got = charge(sweep, own, none)
    # throughput scales by 400/500 = 0.8; energy +0.5 uJ; area +0.2 mm^2
    assert got["throughput_ips"] == pytest.approx(800.0)
    assert got["energy_per_image_j"] == pytest.approx(2.5e-6)
    assert got["occupied_area_mm2"] == pytest.approx(3.2)
    # none is the sweep's own cost, bit for bit (the values: x + y - y != x)
    sweep = {"throughput_ips": 3000.0, "energy_per_image_j": 1.4761904761904961e-05,
             "occupied_area_mm2": 4.06784380952381}  # fmt: skip
    none = {"throughput_ips": 2900.1, "energy_per_image_j": 4e-06, "occupied_area_mm2": 1.3}
    assert sweep["energy_per_image_j"] + 4e-06 - 4e-06 != sweep["energy_per_image_j"]
    assert charge(sweep, none, dict(none)) == sweep


def _fake(
    out: Expansion, per_chip: dict[tuple[str, str, float], list[float]]
) -> dict[str, dict[str, Any]]:
    cost = {"none": (1000.0, 2e-6, 3.0), "remap": (1000.0, 2.1e-6, 3.5)}
    results = {}
    for ev in out.tolerance_evaluations:
        chips = per_chip.get((ev.point["method"], ev.point["tolerance"], ev.fault_rate))
        if chips is None:
            continue
        tp, e, a = cost[ev.point["tolerance"]]
        results[ev.key] = {
            "mean": sum(chips) / len(chips),
            "per_chip": chips,
            "throughput_ips": tp,
            "energy_per_image_j": e,
            "occupied_area_mm2": a,
            "std": None,
            "p5": min(chips),
            "p50": sorted(chips)[1],
            "p95": max(chips),
            "chips": len(chips),
            "crossbars": 44,
            "spare_columns": 0,
            "remap_table_bits": 0,
            "placement": "cpu-1x1",
            "cpu_moved": [],
            "remap": ev.point["tolerance"] == "remap",
        }
    return results


def test_paired_gains_are_against_none_on_the_same_chips_by_hand() -> None:
    out = _expand({**SPEC, "tolerance": ["remap"]})
    results = _fake(
        out,
        {
            ("standard", "none", 0.1): [50.0, 60.0, 70.0],
            ("standard", "remap", 0.1): [52.0, 61.0, 73.0],
            ("dropconnect", "none", 0.1): [80.0, 80.0, 80.0],
            ("dropconnect", "remap", 0.1): [81.0, 79.0, 80.0],
        },
    )
    rows = {(r.point.method, r.tolerance): r for r in tolerance_rows(out, results)}
    assert len(rows) == 4  # the rate-0.2 jobs are not in the store: left out, not invented
    remap = rows[("standard", "remap")]
    # differences 2, 1, 3: mean 2, sample sd 1, t(0.975, 2 df) = 4.3027 -> 4.3027 / sqrt(3)
    assert remap.gain == pytest.approx(2.0)
    assert remap.gain_half_width == pytest.approx(4.302653 / math.sqrt(3), rel=1e-5)
    assert remap.gain_chips == 3
    # paired with its own training's none: drop-connect's differences 1, -1, 0
    assert rows[("dropconnect", "remap")].gain == pytest.approx(0.0)
    assert rows[("standard", "none")].gain == 0.0
    assert remap.delta_energy_per_image_j == pytest.approx(0.1e-6)
    assert remap.delta_occupied_area_mm2 == pytest.approx(0.5)
    assert remap.delta_throughput_ips == 0.0
    assert remap.cpu_moved == "" and remap.remap and not rows[("standard", "none")].remap
    costs = tolerance_costs(list(rows.values()))
    assert sorted(c.tolerance for c in costs) == ["none", "remap"]  # one per technique


def test_tolerance_points_join_the_sweeps_front() -> None:
    spec = spec_from_dict({**SPEC, "tolerance": ["remap"]})
    cost = {"throughput_ips": 1000.0, "energy_per_image_j": 2e-6, "occupied_area_mm2": 3.0}
    plain = accuracy_row(model="lenet5", fault_rate=0.1, recalibrate=True, mean=60.0, **cost)
    none = tolerance_row(model="lenet5", mean=58.0)  # dominated by the plain point
    remap = tolerance_row(model="lenet5", tolerance="remap", mean=62.0, occupied_area_mm2=3.5)
    pareto, flagged = pareto_rows(spec, [plain], [none, remap])
    front = {(r.tolerance, r.accuracy): r.on_front for r in pareto}
    assert front == {("", 60.0): True, ("none", 58.0): False, ("remap", 62.0): True}
    assert [r.on_front for r in flagged] == [False, True]  # flagged for the page
    assert (none.on_front, remap.on_front) == (False, False)  # the stored rows stay as built


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("axis")
    save_trained_lenet5(folder / "model.safetensors")
    return folder


def test_a_tolerance_job_runs_the_technique_on_the_sweeps_chips_and_charges_it(
    checkpoint: Path,
) -> None:
    sweep = {
        "budget_chips": 1,
        "throughput_ips": 1000.0,
        "energy_per_image_j": 2e-6,
        "occupied_area_mm2": 3.0,
    }
    config = {
        "fault_model": "dropconnect",
        "rate": 0.1,
        "chips": 3,
        "seed": 0,
        "policy": "cpu-1x1",
        "hardware": "isaac",
        "dataset": "digits",
        "limit": 120,
    }
    inputs = {"model": {"checkpoint": "model.safetensors"}, "cost": sweep}
    ctx = JobContext("k", checkpoint, checkpoint)
    none = run_tolerance({**config, "technique": "none"}, inputs, ctx)
    spare = run_tolerance({**config, "technique": "spare-1"}, inputs, ctx)
    # none carries exactly the sweep's cost of the point
    assert {
        k: none[k] for k in ("throughput_ips", "energy_per_image_j", "occupied_area_mm2")
    } == pytest.approx(
        {k: sweep[k] for k in ("throughput_ips", "energy_per_image_j", "occupied_area_mm2")}
    )
    # spare-1 carries its own extra cost on top: more crossbars, more energy per image
    own, ref = spare["study_cost"], spare["study_cost_none"]
    assert spare["crossbars"] > none["crossbars"]
    assert spare["energy_per_image_j"] - 2e-6 == pytest.approx(
        own["energy_per_image_j"] - ref["energy_per_image_j"]
    )
    assert own["energy_per_image_j"] > ref["energy_per_image_j"]
    # the chips are those `archsim tolerance` meets: chip i drawn from (seed 0, i)
    study = load_study(checkpoint / "model.safetensors", "digits", limit=120)
    direct = run_technique(
        study, Technique("none", "cpu-1x1"), get_fault_model("dropconnect"), 0.1, 3, 0
    )
    assert none["per_chip"] == list(direct.per_chip) and none["chips"] == 3


def test_a_cell_fault_model_with_the_axis_is_one_error_line_before_any_job(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    faults = {**SPEC["faults"], "model": "column-isaac"}  # whole columns: not a weight map
    spec.write_text(yaml.safe_dump({**SPEC, "faults": faults, "tolerance": ["remap"]}))
    result = CliRunner().invoke(
        cli, ["pareto", "--spec", str(spec), "--out", str(tmp_path / "out"), "--no-report"]
    )
    lines = result.output.strip().splitlines()
    assert result.exit_code != 0 and len(lines) == 1
    assert lines[0].startswith("error: tolerance: fault model column-isaac draws column")
    assert not (tmp_path / "out").exists()


def test_a_toy_sweeps_front_has_no_dominated_member() -> None:
    """Every evaluate, simulate and tolerance job of a small sweep given a made-up result; the
    stored `none` costs are the sweep's off by one unit in the last place (area smaller,
    energy larger), as the old tolerance jobs stored them. No front member may be dominated
    by any row of its rate."""
    from archsim.explore.pareto import OBJECTIVES, dominates
    from archsim.explore.results import accuracy_rows

    spec = {**SPEC, "tolerance": ["remap"]}
    out = _expand(spec)
    sweep = {"throughput_ips": 3000.0, "energy_per_image_j": 1.4761904761904961e-05,
             "occupied_area_mm2": 4.06784380952381, "latency_s": 1e-3}  # fmt: skip
    results: dict[str, dict[str, Any]] = {}
    for i, ev in enumerate(out.evaluations):
        results[ev.cost_key] = sweep
        results[ev.key] = {"mean": 60.0 + i % 3, "per_chip": [60.0 + i % 3], "chips": 1,
                           "p5": 0.0, "p50": 0.0, "p95": 0.0}  # fmt: skip
    for i, ev in enumerate(out.tolerance_evaluations):
        remap = ev.point["tolerance"] == "remap"
        energy, area = sweep["energy_per_image_j"], sweep["occupied_area_mm2"]
        results[ev.key] = {
            **_fake_result([13.8 + i % 2, 14.0]),
            "throughput_ips": sweep["throughput_ips"],
            "energy_per_image_j": energy + 1e-7 if remap else math.nextafter(energy, 1.0),
            "occupied_area_mm2": area + 0.5 if remap else math.nextafter(area, 0.0),
            "remap": remap,
        }
    pareto, _ = pareto_rows(spec_from_dict(spec), accuracy_rows(out, results),
                            tolerance_rows(out, results))  # fmt: skip
    assert pareto and any(not r.on_front for r in pareto if r.tolerance == "none")
    up = [u for _, u in OBJECTIVES]
    for rate in {r.fault_rate for r in pareto}:
        rows = [r for r in pareto if r.fault_rate == rate]
        points = [[getattr(r, name) for name, _ in OBJECTIVES] for r in rows]
        for r, p in zip(rows, points, strict=True):
            dominated = any(dominates(q, p, up) for q in points)
            assert r.on_front == (not dominated)


def _fake_result(chips: list[float]) -> dict[str, Any]:
    return {
        "mean": sum(chips) / len(chips),
        "per_chip": chips,
        "std": None,
        "p5": min(chips),
        "p50": max(chips),
        "p95": max(chips),
        "chips": len(chips),
        "crossbars": 44,
        "spare_columns": 0,
        "remap_table_bits": 0,
        "placement": "cpu-1x1",
        "cpu_moved": [],
    }


def test_a_point_over_its_budget_is_kept_off_the_front() -> None:
    spec = spec_from_dict({**SPEC, "tolerance": ["remap"]})
    cost = {"throughput_ips": 1000.0, "energy_per_image_j": 2e-6, "occupied_area_mm2": 3.0}
    plain = accuracy_row(model="lenet5", fault_rate=0.1, recalibrate=True, mean=60.0,
                         provisioned_area_mm2=3.0, **cost)  # fmt: skip
    # better on accuracy at the same cost, but its area (3.5) is over its budget (3.0)
    remap = tolerance_row(model="lenet5", tolerance="remap", mean=90.0, occupied_area_mm2=3.5,
                          provisioned_area_mm2=3.0)  # fmt: skip
    pareto, flagged = pareto_rows(spec, [plain], [remap])
    got = {(r.tolerance, r.over_budget, r.on_front) for r in pareto}
    assert got == {("", False, True), ("remap", True, False)}  # and it pushes nothing off
    assert [r.on_front for r in flagged] == [False]
