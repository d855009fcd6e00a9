"""The numbers the report's pages show, on a small sweep of hand-made stored rows: the
Stability Score table, Table II beside the paper, the mapping summary, the Pareto front, the
best drop rate; and the CSV files' columns, which are the row records' fields."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure
from sweep_rows import accuracy_row, cost_row, tolerance_row

from archsim.explore.codec import csv_columns
from archsim.explore.expansion import DatasetShape
from archsim.explore.export import export_tables
from archsim.explore.findings import FindingRow
from archsim.explore.records import AccuracyRow, CostRow, Layer, ParetoRow
from archsim.explore.results import SweepData, derive
from archsim.explore.spec import spec_from_dict
from archsim.explore.tolerance_rows import ToleranceCostRow, ToleranceRow, paired_with_none
from archsim.report.pages_cost import mapping_pages, policy_pages, table2_pages
from archsim.report.pages_curves import stability_pages
from archsim.report.pages_dropconnect import best_rate_pages
from archsim.report.pages_pareto import pareto_pages

SPEC = {
    "name": "t",
    "dataset": "digits",
    "models": ["resnet20"],
    "widths": [1.0],
    "training": {
        "epochs": 2,
        "methods": ["standard", "dropconnect"],
        "dropconnect_rates": [0.2],
        "recalibrate": [False],
    },
    "faults": {"rates": [0.0, 0.1], "chips": 3},
    "cost": {"compare_policies": []},
    "pareto": {"fault_rates": [0.1]},
}
DIGITS = DatasetShape("digits", (1, 8, 8), 10, {"shortcut": "1x1"})
COST = {"throughput_ips": 1000.0, "energy_per_image_j": 2e-6, "occupied_area_mm2": 3.0}


def _tables(fig: Figure) -> list[list[list[str]]]:
    """Every table drawn on `fig`, as rows of cell texts (row 0: the header)."""
    out = []
    for ax in fig.axes:
        for tab in ax.tables:
            cells = tab.get_celld()
            rows, cols = max(r for r, _ in cells) + 1, max(c for _, c in cells) + 1
            out.append(
                [[cells[r, c].get_text().get_text() for c in range(cols)] for r in range(rows)]
            )
    return out


def _data(**rows: Any) -> SweepData:
    return derive(SweepData(spec=spec_from_dict(SPEC), datasets={"resnet20": DIGITS}, **rows))


def _standard_and_dropconnect() -> list[AccuracyRow]:
    dc = {"method": "dropconnect", "train_rate": 0.2}
    return [
        accuracy_row([90.0, 90.0, 90.0], **COST),
        accuracy_row([55.0, 60.0, 65.0], fault_rate=0.1, ci_low=55.0, ci_high=65.0, **COST),
        accuracy_row([88.0, 88.0, 88.0], **dc, **COST),
        accuracy_row([78.0, 80.0, 82.0], fault_rate=0.1, ci_low=78.0, ci_high=82.0, **dc, **COST),
    ]


def test_stability_scores_by_hand() -> None:
    data = _data(accuracy=_standard_and_dropconnect())
    assert data.stability is not None
    standard, dropconnect = data.stability
    # SS = Acc_retrain / (Acc_pretrain - Acc_defect): 90 / (90 - 60) and 88 / (90 - 80)
    (cell,) = standard.cells
    assert cell is not None and cell.score == pytest.approx(3.0)
    assert cell.interval == pytest.approx((90 / 35, 90 / 25))  # Acc_defect's CI 55..65
    (cell,) = dropconnect.cells
    assert cell is not None and cell.score == pytest.approx(8.8)
    assert cell.interval == pytest.approx((88 / 12, 88 / 8))
    assert (dropconnect.pretrain, dropconnect.retrain) == (90.0, 88.0)
    (fig,) = stability_pages(data)
    (table,) = _tables(fig)
    assert table[1] == ["resnet20 x1", "standard", "90.00", "90.00", "60.00", "3.00", "2.57 - 3.6"]
    assert table[2] == [
        "resnet20 x1",
        "drop-connect p=0.2",
        "90.00",
        "88.00",
        "80.00",
        "8.80",
        "7.33 - 11",
    ]
    plt.close("all")


def test_no_clean_rate_gives_no_stability_table() -> None:
    faulty = [r for r in _standard_and_dropconnect() if r.fault_rate > 0]
    data = _data(accuracy=faulty)
    assert data.stability is None
    (fig,) = stability_pages(data)
    assert "Not produced by this sweep" in [t.get_text() for t in fig.texts]
    plt.close("all")


def test_the_pareto_front_by_hand(tmp_path: Path) -> None:
    rows = [
        accuracy_row([80.0], fault_rate=0.1, **COST),
        accuracy_row([70.0], fault_rate=0.1, width=1.4, **COST),  # A beats it everywhere
        accuracy_row(
            [60.0],
            fault_rate=0.1,
            method="dropconnect",
            train_rate=0.2,
            **{**COST, "throughput_ips": 2000.0},
        ),
        accuracy_row([95.0], **COST),  # fault rate 0: not a Pareto rate
    ]
    data = _data(accuracy=rows)
    assert [(p.accuracy, p.on_front) for p in data.pareto] == [
        (80.0, True),
        (70.0, False),
        (60.0, True),
    ]
    (fig,) = pareto_pages(data)
    front = _tables(fig)[0][1:]
    assert [r[:3] for r in front] == [
        ["1", "resnet20 x1 standard cpu-1x1", "80.00"],
        ["2", "resnet20 x1 drop-connect p=0.2 cpu-1x1", "60.00"],
    ]
    # throughput in one prefix for the column: 1000 and 2000 images/s -> k images/s
    assert _tables(fig)[0][0][3] == "throughput (k\nimages/s)"
    assert [r[3] for r in front] == ["1.00", "2.00"]  # three significant digits
    plt.close("all")
    export_tables(data, tmp_path)
    with (tmp_path / "pareto.csv").open() as f:
        written = list(csv.DictReader(f))
    assert [(r["accuracy"], r["throughput_ips"]) for r in written] == [
        ("80.0", "1000.0"),
        ("60.0", "2000.0"),
    ]
    assert "tolerance" not in written[0]  # no tolerance axis in the spec
    doc = json.loads((tmp_path / "pareto.json").read_text())
    assert [p["accuracy"] for p in doc["front"]] == [80.0, 60.0]
    assert doc["objectives"]["energy_per_image_j"] == "min"


def test_table2_beside_the_paper_by_hand() -> None:
    # the paper: resnet20 x1.0 15.74 s, 113.32 J; x1.4 29.80 s (10,000 images)
    paper = {"paper_setting": True, "images": 10_000, "estimator": "paper"}
    costs = [
        cost_row(time_for_images_s=31.48, energy_per_image_j=0.011332, **paper),
        cost_row(width=1.4, time_for_images_s=44.70, energy_per_image_j=0.02, **paper),
        cost_row(),  # the sweep's own cost: not a Table II row
    ]
    data = _data(costs=costs)
    narrow, wide = data.table2
    assert narrow.latency_vs_paper == pytest.approx(2.0)
    assert narrow.energy_j == pytest.approx(113.32)
    assert narrow.energy_vs_paper == pytest.approx(1.0)
    assert wide.latency_vs_paper == pytest.approx(1.5)
    assert wide.latency_vs_x1 == pytest.approx(44.70 / 31.48)
    assert wide.paper_latency_vs_x1 == pytest.approx(29.80 / 15.74)
    (fig,) = table2_pages(data)
    (table,) = _tables(fig)
    # one format per column: ours/paper energy holds 0.9323, so 1 prints as 1.0000
    assert table[1] == ["resnet20", "1.00", "15.74", "31.48", "2.00", "113.32", "113.32", "1.0000",
                        "1.00", "1.00"]  # fmt: skip
    assert table[2] == ["resnet20", "1.40", "29.80", "44.70", "1.50", "214.53", "200.00", "0.9323",
                        "1.42", "1.89"]  # fmt: skip
    plt.close("all")


def test_the_mapping_summary_shows_the_stored_cost() -> None:
    layers = (Layer(name="conv1", kind="conv", target="cpu"), Layer(name="fc", kind="linear",
              target="rram"))  # fmt: skip
    data = _data(
        costs=[cost_row(crossbars=44, tiles=5, chips=1, bottleneck="layer3", layers=layers)]
    )
    (fig,) = mapping_pages(data)
    (table,) = _tables(fig)
    row = dict(zip([h.replace("\n", " ") for h in table[0]], table[1], strict=True))
    assert (row["net"], row["crossbars"], row["tiles"], row["images/s"]) == (
        "resnet20",
        "44",
        "5",
        "1,000.00",
    )
    assert row["bottleneck"] == "layer3" and row["J/image"] == "2.000e-06"
    assert any("resnet20 x1 cpu-1x1: conv1" in t.get_text() for t in fig.texts)
    plt.close("all")


def test_the_best_drop_rate_and_its_paired_gain_by_hand() -> None:
    dc = {"method": "dropconnect", "train_rate": 0.2}
    rows = [
        accuracy_row([50.0, 60.0, 70.0], fault_rate=0.1),
        accuracy_row([52.0, 61.0, 73.0], fault_rate=0.1, **dc),  # +2, +1, +3 on the same chips
        accuracy_row([90.0, 90.0, 90.0]),
        accuracy_row([85.0, 85.0, 85.0], **dc),
    ]
    data = _data(accuracy=rows)
    clean, faulty = data.best_rates
    assert (clean.fault_rate, clean.best_rate, clean.gain) == (0.0, 0.0, None)  # standard wins
    assert (faulty.best_rate, faulty.standard_mean) == (0.2, 60.0)
    assert faulty.gain == pytest.approx(2.0)
    assert faulty.gain_half_width == pytest.approx(4.302653 / 3**0.5, rel=1e-5)  # t(2) sd 1
    (fig,) = best_rate_pages(data)
    (table,) = _tables(fig)
    assert table[2] == ["resnet20 x1", "off", "0.1", "0.2", "62.00", "60.00", "2.00", "2.48"]
    plt.close("all")


# The CSV files' columns, as they were written before the rows became records (and the
# dynamic energy beside the static since).
RESULTS_CSV = (
    "model hardware net width dataset method train_rate prune recalibrate policy fault_rate "
    "mean std "
    "ci_low ci_high p5 p50 p95 yield chips clean_acc float_acc quant_acc realised_fraction "
    "bn_set throughput_ips latency_s energy_per_image_j dynamic_energy_j static_energy_j "
    "images_per_j "
    "occupied_area_mm2 provisioned_area_mm2 budget_chips budget_tiles bottleneck "
    "evaluate_key train_key train_seed"
)
COSTS_CSV = (
    "model hardware width policy estimator paper_setting throughput_ips latency_s "
    "energy_per_image_j dynamic_energy_j static_energy_j images_per_j occupied_area_mm2 "
    "provisioned_area_mm2 budget_chips "
    "bottleneck crossbars imas tiles chips utilization rram_macs cpu_macs total_macs "
    "rram_layers cpu_layers"
)
TOLERANCE_CSV = (
    "model width dataset method train_rate prune policy train_seed tolerance fault_rate mean "
    "std ci_low ci_high p5 p50 p95 chips throughput_ips energy_per_image_j occupied_area_mm2 "
    "provisioned_area_mm2 crossbars spare_columns remap placement remap_table_bits "
    "remap_seconds_per_chip eval_seconds_per_chip cpu_moved bn_set gain gain_half_width "
    "gain_chips delta_throughput_ips delta_energy_per_image_j delta_occupied_area_mm2 "
    "evaluate_key train_key"
)
TOLERANCE_COSTS_CSV = (
    "model width policy tolerance placement cpu_moved spare_columns remap throughput_ips "
    "energy_per_image_j occupied_area_mm2 crossbars remap_table_bits delta_throughput_ips "
    "delta_energy_per_image_j delta_occupied_area_mm2"
)
PARETO_CSV = (
    "fault_rate model hardware width method train_rate prune recalibrate policy tolerance "
    "metric accuracy throughput_ips energy_per_image_j occupied_area_mm2 bn_set over_budget"
)
FINDINGS_CSV = (
    "key source claim rule test first second effect ci_low ci_high pairs seeds chip_sd "
    "seed_sd train_ci_low train_ci_high chips_needed trainings_needed verdict note"
)


@pytest.mark.parametrize(
    ("record", "columns"),
    [
        (AccuracyRow, RESULTS_CSV),
        (CostRow, COSTS_CSV),
        (ToleranceRow, TOLERANCE_CSV),
        (ToleranceCostRow, TOLERANCE_COSTS_CSV),
        (ParetoRow, PARETO_CSV),
        (FindingRow, FINDINGS_CSV),
    ],
)
def test_the_csv_columns_are_the_records_fields(record: type, columns: str) -> None:
    assert csv_columns(record) == tuple(columns.split())


def test_results_csv_writes_each_rows_values(tmp_path: Path) -> None:
    rows = _standard_and_dropconnect()
    export_tables(_data(accuracy=rows, costs=[cost_row()]), tmp_path)
    with (tmp_path / "results.csv").open() as f:
        header, *body = list(csv.reader(f))
    assert tuple(header) == tuple(RESULTS_CSV.split())
    assert len(body) == 4
    first = dict(zip(header, body[1], strict=True))
    assert (first["fault_rate"], first["mean"], first["ci_low"], first["yield"]) == (
        "0.1",
        "60.0",
        "55.0",
        "",
    )
    assert first["recalibrate"] == "False" and first["train_seed"] == "0"
    with (tmp_path / "costs.csv").open() as f:
        (cost,) = list(csv.DictReader(f))
    assert (cost["crossbars"], cost["paper_setting"], cost["budget_chips"]) == ("40", "False", "1")
    assert not (tmp_path / "tolerance.csv").exists()  # no tolerance axis


def test_the_placements_paired_accuracy_difference_by_hand() -> None:
    rram = {"policy": "all-rram"}
    rows = [
        accuracy_row([60.0, 70.0, 80.0], fault_rate=0.1),
        accuracy_row([50.0, 65.0, 75.0], fault_rate=0.1, **rram),  # 10, 5, 5 less per chip
        accuracy_row([90.0]),  # fault rate 0: not a Pareto rate
    ]
    data = _data(accuracy=rows, costs=[cost_row(), cost_row(**rram)])
    assert data.policies == ["cpu-1x1", "all-rram"]
    (row,) = data.policy_accuracy
    (cell,) = row.cells
    assert cell.means == (70.0, pytest.approx(190 / 3))
    # differences 10, 5, 5: mean 20/3, sd 5/sqrt(3), t(0.975, 2 df) = 4.302653
    assert cell.difference == pytest.approx(20 / 3)
    assert cell.half_width == pytest.approx(4.302653 * (5 / 3**0.5) / 3**0.5, rel=1e-5)
    _, fig = policy_pages(data)
    (table,) = _tables(fig)
    assert table[1] == ["resnet20 x1", "standard", "70.00", "63.33", "+6.67 ± 7.17"]
    plt.close("all")


def test_each_techniques_charged_cost_joins_costs_csv(tmp_path: Path) -> None:
    none = tolerance_row([60.0, 70.0, 80.0])
    remap = tolerance_row([61.0, 72.0, 80.0], tolerance="remap", remap=True,
                          energy_per_image_j=2.5e-6)  # fmt: skip
    spec = spec_from_dict({**SPEC, "tolerance": ["remap"]})
    data = derive(SweepData(spec=spec, datasets={"resnet20": DIGITS}, costs=[cost_row()],
                            tolerance=paired_with_none([none, remap])))  # fmt: skip
    paired = {r.tolerance: r for r in data.tolerance}
    assert paired["remap"].gain == pytest.approx(1.0)  # 1, 2, 0 more on the same chips
    assert paired["remap"].delta_energy_per_image_j == pytest.approx(0.5e-6)
    # remap: more accurate, none: cheaper, so neither dominates the other
    assert paired["remap"].on_front and paired["none"].on_front
    export_tables(data, tmp_path)
    with (tmp_path / "costs.csv").open() as f:
        header, *rows = list(csv.reader(f))
    assert tuple(header) == ("tolerance", *COSTS_CSV.split())
    table = [dict(zip(header, r, strict=True)) for r in rows]
    assert [(r["tolerance"], r["estimator"]) for r in table] == [
        ("", "des"),
        ("none", "des + technique"),
        ("remap", "des + technique"),
    ]
    assert table[2]["energy_per_image_j"] == "2.5e-06" and table[2]["latency_s"] == ""
    with (tmp_path / "tolerance.csv").open() as f:
        assert tuple(next(csv.reader(f))) == tuple(TOLERANCE_CSV.split())
    with (tmp_path / "pareto.csv").open() as f:
        front = list(csv.DictReader(f))
    assert [r["tolerance"] for r in front] == ["none", "remap"]
