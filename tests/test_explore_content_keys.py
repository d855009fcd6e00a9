"""Job keys follow content, not names: edit a hardware file and rerun the same sweep on the
same --out, and the new numbers appear (issue: stale results after a hardware file changes)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from archsim.cli import cli
from archsim.explore.expand import expand
from archsim.explore.expansion import DatasetShape
from archsim.explore.spec import spec_from_dict

PACKAGED = Path(__file__).resolve().parents[1] / "archsim" / "hwconfigs"

SPEC = {
    "name": "content",
    "dataset": "digits",
    "models": ["lenet5"],
    "widths": [1.0],
    "training": {"epochs": 1, "val_chips": 0},
    "faults": {"rates": [0.0], "chips": 2},
    "cost": {
        "hardware": "hw.yaml",
        "compare_policies": [],
        "paper_table": False,
        "estimator": "analytic",
    },
}


def _hardware(rows: int) -> str:
    # the array's power and area scale with its cells (ISAAC's 0.3 mW per 128x128 array), so
    # the per-cell read energy still gives the stated power (the hardware power check)
    cells = (rows / 128) ** 2
    return (
        f"base: isaac\nname: mine\ndescription: ISAAC with {rows}x{rows} crossbars\n"
        f"crossbar:\n  rows: {rows}\n  cols: {rows}\n  power_mw: {0.3 * cells}\n"
        f"  area_mm2: {0.000025 * cells}\n"
    )


def _sweep(folder: Path) -> tuple[str, dict[str, str]]:
    result = CliRunner().invoke(
        cli,
        [
            "pareto",
            "--spec",
            str(folder / "spec.yaml"),
            "--out",
            str(folder / "out"),
            "--jobs",
            "1",
            "--no-report",
        ],
    )
    assert result.exit_code == 0, result.output
    with (folder / "out" / "costs.csv").open() as f:
        (row,) = list(csv.DictReader(f))
    return result.stderr, row


def _mapped_crossbars(hardware: Path) -> int:
    result = CliRunner().invoke(
        cli,
        [
            "map",
            "--model",
            "lenet5",
            "--dataset",
            "digits",
            "--hw",
            str(hardware),
            "--no-replicate",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    return int(json.loads(result.stdout)["totals"]["crossbars"])


def test_editing_the_hardware_file_reruns_its_jobs_with_the_new_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(SPEC))
    (tmp_path / "hw.yaml").write_text(_hardware(64))
    log, small = _sweep(tmp_path)
    assert "5 jobs run, 0 already in the store" in log
    (tmp_path / "hw.yaml").write_text(_hardware(256))
    log, large = _sweep(tmp_path)
    assert "5 jobs run, 0 already in the store" in log  # nothing served from the old file
    # The sweep's numbers are those of a fresh mapping of each version of the file.
    assert int(large["crossbars"]) == _mapped_crossbars(tmp_path / "hw.yaml")
    (tmp_path / "hw.yaml").write_text(_hardware(64))
    assert int(small["crossbars"]) == _mapped_crossbars(tmp_path / "hw.yaml")
    # A 256x256 array holds 16 times the cells of a 64x64 one: far fewer arrays are needed.
    assert int(large["crossbars"]) < int(small["crossbars"])
    log, again = _sweep(tmp_path)  # back to the first content: its stored jobs are reused
    assert "0 jobs run, 5 already in the store" in log
    assert again == small


def test_a_local_file_shadowing_a_shipped_one_is_named_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "hwconfigs").mkdir()
    shutil.copy(PACKAGED / "isaac.yaml", tmp_path / "hwconfigs" / "isaac.yaml")
    monkeypatch.chdir(tmp_path)
    args = ["map", "--model", "lenet5", "--dataset", "digits", "--policy", "cpu-1x1"]
    result = CliRunner().invoke(cli, args)  # a placement given: no line about its default
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"warning: hardware 'isaac' is {tmp_path / 'hwconfigs' / 'isaac.yaml'}, which shadows "
        "the shipped 'isaac'"
    ]


def test_keys_cover_hardware_content_dataset_identity_and_model_card() -> None:
    spec = spec_from_dict({**SPEC, "cost": {**SPEC["cost"], "hardware": "isaac"}})
    shape = DatasetShape("digits", (1, 8, 8), 10, {}, identity="data-a", card="card-a")

    def keys(shape: DatasetShape, digest: str) -> dict[str, str]:
        return {
            job.label + job.kind: job.key
            for job in expand(spec, {"lenet5": shape}, {"isaac": digest}).jobs
        }

    base = keys(shape, "hw-a")
    other_hw = keys(shape, "hw-b")
    other_data = keys(DatasetShape("digits", (1, 8, 8), 10, {}, "data-b", "card-a"), "hw-a")
    other_card = keys(DatasetShape("digits", (1, 8, 8), 10, {}, "data-a", "card-b"), "hw-a")
    assert all(base[k] != other_hw[k] for k in base)  # every job reads the hardware
    changed_by_data = {k for k in base if base[k] != other_data[k]}
    changed_by_card = {k for k in base if base[k] != other_card[k]}
    # Data and card reach the accuracy jobs (train, recalibrate, evaluate), not the cost ones.
    assert {k for k in base if not k.endswith(("map", "simulate"))} == changed_by_data
    assert {k for k in base if k.endswith("train")} <= changed_by_card
    assert all(not k.endswith(("map", "simulate")) for k in changed_by_card)
