"""The cost columns, totals and Table II layout `archsim map` prints."""

import csv
import io
import json

import pytest
from click.testing import CliRunner, Result

from archsim.cli import cli
from archsim.config.hardware import load_hardware
from archsim.hw import chip_costs


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_width_list_prints_table2_beside_the_paper() -> None:
    result = run("map", "-m", "resnet20", "--width", "1.0,1.2,1.4,1.6", "--option",
                 "shortcut=1x1", "--estimator", "paper", "--images", "10000",
                 "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["rows"]
    assert [r["width"] for r in rows] == [1.0, 1.2, 1.4, 1.6]
    # 40,813,184 MACs x 10,000 / 2.6e10 MAC/s = 15.697 s; x 7.198 W = 112.99 J
    assert (rows[0]["latency_s"], rows[0]["energy_j"]) == (15.697, 112.99)
    assert (rows[0]["paper_latency_s"], rows[0]["paper_energy_j"]) == (15.74, 113.32)
    # 101,772,540 / 40,813,184 = 2.4936 against the paper's 39.11 / 15.74 = 2.4848
    assert (rows[3]["latency_ratio"], rows[3]["paper_latency_ratio"]) == (2.4936, 2.4848)
    assert rows[3]["latency_vs_paper"] == "+0.09%"


def test_width_list_without_the_papers_shortcuts_is_not_compared() -> None:
    result = run("map", "-m", "resnet20", "--width", "1.0,1.4", "--estimator", "analytic",
                 "--format", "csv")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["width"] for r in rows] == ["1.0", "1.4"]
    # the pipeline estimators print throughput, never a comparison with Table II's
    # MAC-count times (a different quantity)
    assert rows[0]["throughput_ratio"] == "1.0" and float(rows[1]["throughput_ratio"]) < 1
    assert "paper_latency_s" not in rows[1] and "latency_vs_paper" not in rows[1]
    table = run("map", "-m", "resnet20", "--width", "1.0,1.4", "--estimator", "paper")
    assert "not compared with Table II: Table II's ResNet-20 has 1x1 projection" in table.output


def test_single_width_has_per_layer_costs_and_totals() -> None:
    result = run("map", "-m", "vgg13", "--images", "100", "--format", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    rows, costs = payload["rows"], payload["costs"]
    # the layers' busy times, less the image's transfer in (0.96 us) and out over the host
    # link: the shares of the mapped layers sum to just under 1
    assert 0.98 < sum(r["latency_share"] for r in rows) < 1.0
    # VGG-13 has no 1x1 conv: no CPU energy; the layers' dynamic energy is the accelerator's
    assert sum(r["energy_j"] for r in rows) == pytest.approx(costs["energy_dynamic_j"], rel=1e-4)
    assert costs["energy_cpu_j"] == 0
    parts = ("energy_dynamic_j", "energy_static_j", "energy_cpu_j", "energy_links_j")
    assert sum(costs[p] for p in parts) == pytest.approx(costs["energy_per_image_j"], rel=1e-4)
    assert costs["energy_static_j"] > 0.1 * costs["energy_per_image_j"]
    assert costs["estimator"] == "des" and "time_for_100_images_s" in costs
    assert costs["events"] > 0
    # one ISAAC chip: 85.4 mm^2 over its own blocks (tests/test_hw_components.py), plus any
    # component added to the registry since
    chip = chip_costs(load_hardware("isaac"))
    assert costs["provisioned_area_mm2"] == pytest.approx(chip.area_mm2, rel=1e-3)
    assert 0 < costs["occupied_area_mm2"] <= costs["provisioned_area_mm2"]
    assert costs["bottleneck"] and costs["budget_chips"] == 1
    table = run("map", "-m", "vgg13", "--estimator", "analytic")
    assert "throughput_images_per_s: " in table.output and "bottleneck: " in table.output


def test_bad_estimator_and_images_are_one_line_errors() -> None:
    for args in (("--estimator", "roofline"), ("--images", "0")):
        result = run("map", "-m", "lenet5", *args)
        assert result.exit_code == 2 and "Invalid value" in result.output


def test_a_small_net_in_a_whole_chip_says_so_and_names_budget_tiles() -> None:
    def notes(*args: str) -> list[str]:
        result = CliRunner().invoke(
            cli, ["map", "--model", "lenet5", "--estimator", "analytic", *args]
        )
        assert result.exit_code == 0, result.output
        return [line for line in result.output.splitlines() if line.startswith("note: width")]

    (note,) = notes()
    # LeNet-5 fills a few tiles of ISAAC's 168: the rest is idle silicon it is charged for
    assert "of its 1-chip budget" in note and "--budget-tiles N" in note
    assert notes("--budget-tiles", "4") == []  # priced in part of a chip: nothing to say
