"""Sweep specs: strict validation with one-line errors, the shipped presets, and expansion."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from archsim.errors import UserError
from archsim.explore.expand import expand
from archsim.explore.expansion import DatasetShape
from archsim.explore.spec import load_preset, load_spec, preset_names, spec_from_dict

BASE = {
    "name": "t",
    "dataset": "digits",
    "models": ["resnet20"],
    "widths": [1.0, 1.4],
    "training": {
        "epochs": 2,
        "methods": ["standard", "dropconnect"],
        "dropconnect_rates": [0.0, 0.2],
    },
    "faults": {"rates": [0.0, 0.1, 0.2], "chips": 4},
}
DIGITS = DatasetShape("digits", (1, 8, 8), 10, {"shortcut": "1x1"})


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _error(tmp_path: Path, data: dict) -> str:
    with pytest.raises(UserError) as info:
        load_spec(_write(tmp_path, data))
    message = str(info.value)
    assert "\n" not in message
    return message


def test_presets_ship_and_validate() -> None:
    assert {"quick", "dropconnect", "sft", "bottleneck"} <= set(preset_names())
    for name in preset_names():
        assert load_preset(name).name == name
    with pytest.raises(UserError, match="unknown preset 'nope'; presets: bottleneck, "):
        load_preset("nope")


def test_unknown_key_names_the_file_key_and_allowed_keys(tmp_path: Path) -> None:
    message = _error(tmp_path, {**BASE, "faults": {**BASE["faults"], "chipz": 3}})
    assert message.startswith(f"{tmp_path / 'spec.yaml'}: faults.chipz: unknown key (allowed: ")
    assert "chips" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"widths": []}, "widths: empty grid"),
        ({"models": []}, "models: empty grid"),
        ({"faults": {"rates": []}}, "faults.rates: empty grid"),
        (
            {"training": {"epochs": 1, "methods": ["dropconnect"]}},
            "training: empty grid: method dropconnect needs dropconnect_rates",
        ),
        (
            {"training": {"epochs": 1, "methods": ["oneshot"]}},
            "training: empty grid: methods oneshot/progressive need sft_rates",
        ),
        ({"widths": [0.0]}, "widths: every width must be > 0 and at most 1000, got 0.0"),
        ({"widths": [1.0, 5e3]}, "widths: every width must be > 0 and at most 1000, got 5000.0"),
        ({"faults": {"rates": [1.5]}}, "faults.rates: every fault rate must be in [0, 1], got 1.5"),
        ({"pareto": {"fault_rates": [0.3]}}, "pareto.fault_rates [0.3] are not in faults.rates"),
    ],
)
def test_bad_grids_are_one_line_errors(tmp_path: Path, change: dict, expected: str) -> None:
    assert expected in _error(tmp_path, {**BASE, **change})


def _kinds(spec_data: dict) -> Counter[str]:
    spec = spec_from_dict(spec_data)
    jobs = {job.key: job for job in expand(spec, {m.name: DIGITS for m in spec.models}).jobs}
    return Counter(job.kind for job in jobs.values())


def test_expansion_counts_by_hand() -> None:
    # Per width: standard + drop-connect 0.2 (rate 0 IS the standard model) = 2 trainings,
    # each recalibrated once for the main policy and once for all-rram; evaluated at the 3
    # fault rates under cpu-1x1 and at the 2 Pareto rates (default: every nonzero rate)
    # under all-rram.
    kinds = _kinds(BASE)
    assert kinds["train"] == 2 * 2
    assert kinds["recalibrate"] == 2 * 2 * 2
    assert kinds["evaluate"] == 2 * 2 * (3 + 2)
    # map + simulate per width and policy, for the sweep's shapes and the paper's Table II.
    assert kinds["map"] == kinds["simulate"] == 2 * 2 * 2


def test_keys_are_stable_and_sft_fine_tunes_depend_on_the_pretrained_model() -> None:
    data = {
        **BASE,
        "widths": [1.0],
        "training": {
            "epochs": 3,
            "finetune_epochs": 1,
            "methods": ["standard", "progressive"],
            "sft_rates": [0.01, 0.05],
            "progressive_schedule": [0.005, 0.01, 0.02],
            "prune": [{"method": "admm", "sparsity": 0.7}],
            "recalibrate": [False],
        },
        "faults": {"model": "sft", "rates": [0.0, 0.01], "chips": 2},
        "cost": {"compare_policies": [], "paper_table": False},
    }
    spec = spec_from_dict(data)
    first = expand(spec, {"resnet20": DIGITS})
    assert [j.key for j in first.jobs] == [j.key for j in expand(spec, {"resnet20": DIGITS}).jobs]
    trains = {j.key: j for j in first.jobs if j.kind == "train"}
    pretrained = next(
        j for j in trains.values() if j.config["prune"] is None and j.config["method"] == "standard"
    )
    pruned = next(j for j in trains.values() if j.config["prune"])
    assert pruned.deps == (("init", pretrained.key),)
    assert pruned.config["prune"] == {"method": "admm", "sparsity": 0.7, "admm_epochs": 1}
    progressive = [j for j in trains.values() if j.config["method"] == "progressive"]
    assert len(progressive) == 4  # 2 rates x (dense, pruned)
    assert {tuple(j.config["rates"]) for j in progressive} == {
        (0.005, 0.01),
        (0.005, 0.01, 0.02, 0.05),
    }
    assert {j.deps[0][1] for j in progressive} == {pretrained.key, pruned.key}
    assert all(j.config["epochs"] == 1 for j in progressive)
    evaluations = [j for j in first.jobs if j.kind == "evaluate"]
    assert len(evaluations) == (2 + 4) * 2  # (pretrained, pruned, 4 fine-tuned) x 2 rates
    # each evaluation faults the chip its cost job balances (the budget), so it depends on it
    assert all(set(dict(j.deps)) == {"model", "cost"} for j in evaluations)
