"""The sweep's tables as files: results.csv (every evaluated design point and fault rate),
pareto.csv and pareto.json (the front), costs.csv (mapping and cost per net, width and
placement), findings.csv (the findings page's rows) and, with a `tolerance` axis,
tolerance.csv (every point under every technique, with its paired gain and extra cost) and
tolerance_costs.csv (what each technique is charged). All written atomically.

Each file's columns are its row record's fields (`codec.csv_columns`), in field order."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from archsim.atomic import atomic_write_text
from archsim.explore.codec import csv_columns, csv_row
from archsim.explore.findings import FindingRow, finding_rows
from archsim.explore.pareto import OBJECTIVES
from archsim.explore.records import AccuracyRow, CostRow, ParetoRow
from archsim.explore.results import SweepData
from archsim.explore.tolerance_rows import ToleranceCostRow, ToleranceRow
from archsim.tables import render_csv


def _write(path: Path, rows: Sequence[Any], columns: Sequence[str]) -> None:
    atomic_write_text(path, render_csv([csv_row(r) for r in rows], columns) + "\n")


def pareto_columns(data: SweepData) -> tuple[str, ...]:
    """pareto.csv's columns: `tolerance` only for a sweep with a `tolerance` axis."""
    return tuple(c for c in csv_columns(ParetoRow) if c != "tolerance" or data.spec.tolerance)


def cost_table(data: SweepData) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    """costs.csv's rows and columns: with a `tolerance` axis, each technique's charged cost
    joins the cost rows (its estimator marked `+ technique`), in a leading `tolerance`
    column."""
    costs = [csv_row(r) for r in [*data.costs, *data.variant_costs]]
    if not data.spec.tolerance:
        return costs, csv_columns(CostRow)
    estimator = f"{data.spec.cost.estimator} + technique"
    charged = [{**csv_row(r), "estimator": estimator} for r in data.tolerance_costs]
    return [*costs, *charged], ("tolerance", *csv_columns(CostRow))


def export_tables(data: SweepData, out: Path) -> tuple[Path, Path]:
    results_csv, pareto_csv = out / "results.csv", out / "pareto.csv"
    _write(results_csv, [*data.accuracy, *data.variants], csv_columns(AccuracyRow))
    costs, cost_columns = cost_table(data)
    atomic_write_text(out / "costs.csv", render_csv(costs, cost_columns) + "\n")
    _write(out / "findings.csv", finding_rows(data), csv_columns(FindingRow))
    if data.spec.tolerance:
        _write(out / "tolerance.csv", data.tolerance, csv_columns(ToleranceRow))
        _write(out / "tolerance_costs.csv", data.tolerance_costs, csv_columns(ToleranceCostRow))
    front = [row for row in data.pareto if row.on_front]
    columns = pareto_columns(data)
    _write(pareto_csv, front, columns)
    atomic_write_text(
        out / "pareto.json",
        json.dumps(
            {
                "objectives": {name: "max" if up else "min" for name, up in OBJECTIVES},
                "metric": data.spec.pareto.metric,
                "front": [{k: csv_row(r)[k] for k in columns} for r in front],
            },
            indent=2,
        )
        + "\n",
    )
    return results_csv, pareto_csv
