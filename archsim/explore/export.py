"""The sweep's tables as files: results.csv (every evaluated design point and fault rate),
pareto.csv and pareto.json (the front), costs.csv (mapping and cost per net, width and
placement), findings.csv (the findings page's rows) and, with a `tolerance` axis,
tolerance.csv (every point under every technique, with its paired gain and extra cost) and
tolerance_costs.csv (what each technique is charged). All written atomically."""

from __future__ import annotations

import json
from pathlib import Path

from archsim.atomic import atomic_write_text
from archsim.explore.findings import FINDING_COLUMNS, finding_rows
from archsim.explore.pareto import OBJECTIVES
from archsim.explore.results import SweepData
from archsim.explore.tolerance_rows import COLUMNS as TOLERANCE_COLUMNS
from archsim.explore.tolerance_rows import COST_COLUMNS as TOLERANCE_COST_COLUMNS
from archsim.tables import render_csv

RESULT_COLUMNS = (
    "model",
    "net",
    "width",
    "dataset",
    "method",
    "train_rate",
    "prune",
    "recalibrate",
    "policy",
    "fault_rate",
    "mean",
    "std",
    "ci_low",
    "ci_high",
    "p5",
    "p50",
    "p95",
    "yield",
    "chips",
    "clean_acc",
    "float_acc",
    "quant_acc",
    "realised_fraction",
    "bn_set",
    "throughput_ips",
    "latency_s",
    "energy_per_image_j",
    "static_energy_j",
    "images_per_j",
    "occupied_area_mm2",
    "provisioned_area_mm2",
    "budget_chips",
    "budget_tiles",
    "bottleneck",
    "evaluate_key",
    "train_key",
    "train_seed",
)
COST_COLUMNS = (
    "model",
    "width",
    "policy",
    "estimator",
    "paper_setting",
    "throughput_ips",
    "latency_s",
    "energy_per_image_j",
    "static_energy_j",
    "images_per_j",
    "occupied_area_mm2",
    "provisioned_area_mm2",
    "budget_chips",
    "bottleneck",
    "crossbars",
    "imas",
    "tiles",
    "chips",
    "utilization",
    "rram_macs",
    "cpu_macs",
    "total_macs",
    "rram_layers",
    "cpu_layers",
)


def export_tables(data: SweepData, out: Path) -> tuple[Path, Path]:
    results_csv, pareto_csv = out / "results.csv", out / "pareto.csv"
    atomic_write_text(results_csv, render_csv(data.accuracy, RESULT_COLUMNS) + "\n")
    costs = data.costs
    cost_columns: tuple[str, ...] = COST_COLUMNS
    if data.spec.tolerance:  # each technique's charged cost joins the cost rows
        costs = [
            *costs,
            *(
                {**r, "estimator": f"{data.spec.cost.estimator} + technique"}
                for r in data.tolerance_costs
            ),
        ]
        cost_columns = ("tolerance", *COST_COLUMNS)
    atomic_write_text(out / "costs.csv", render_csv(costs, cost_columns) + "\n")
    atomic_write_text(out / "findings.csv", render_csv(finding_rows(data), FINDING_COLUMNS) + "\n")
    if data.spec.tolerance:
        atomic_write_text(
            out / "tolerance.csv", render_csv(data.tolerance, TOLERANCE_COLUMNS) + "\n"
        )
        atomic_write_text(
            out / "tolerance_costs.csv",
            render_csv(data.tolerance_costs, TOLERANCE_COST_COLUMNS) + "\n",
        )
    front = [row for row in data.pareto if row["on_front"]]
    columns = [
        "fault_rate",
        "model",
        "width",
        "method",
        "train_rate",
        "prune",
        "recalibrate",
        "policy",
        *(["tolerance"] if data.spec.tolerance else []),
        "metric",
        *(name for name, _ in OBJECTIVES),
    ]
    atomic_write_text(pareto_csv, render_csv(front, columns) + "\n")
    atomic_write_text(
        out / "pareto.json",
        json.dumps(
            {
                "objectives": {name: "max" if up else "min" for name, up in OBJECTIVES},
                "metric": data.spec.pareto.metric,
                "front": [{k: r[k] for k in columns} for r in front],
            },
            indent=2,
        )
        + "\n",
    )
    return results_csv, pareto_csv
