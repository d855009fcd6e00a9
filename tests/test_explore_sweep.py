"""A real (tiny) sweep end to end on the embedded digits: train, recalibrate, evaluate, map,
simulate, export, Pareto, report; then a rerun costs nothing and `archsim report` re-renders
from the store alone."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from click.testing import CliRunner
from page_layout import every_page_checked
from report_checks import (
    answer_problems,
    budget_problems,
    front_problems,
    layout_problems,
    pareto_csv,
    sweep_data,
)

from archsim.cli import cli
from archsim.explore.codec import encode
from archsim.explore.pareto import OBJECTIVES, dominates
from archsim.explore.results import load_sweep
from archsim.explore.spec import spec_from_dict
from archsim.explore.store import ResultsStore
from archsim.explore.sweep import run_sweep
from archsim.report.pages_dropconnect import heatmap_pages
from archsim.report.pages_sweep_tolerance import sweep_tolerance_pages
from archsim.report.pdf import sections

TINY = {
    "name": "tiny",
    "dataset": "digits",
    "seed": 0,
    "models": [{"net": "resnet20", "options": {"shortcut": "1x1"}}],
    "widths": [0.5],
    "training": {
        "epochs": 2,
        "batch_size": 128,
        "methods": ["standard", "dropconnect"],
        "dropconnect_rates": [0.3],
        "val_chips": 1,
    },
    "faults": {"rates": [0.0, 0.2], "chips": 3},
    # 5 tiles: one copy of the net needs 3, so spare columns compete with the replicas
    "cost": {"images": 2, "budget_tiles": 5, "hardware_axes": {"ima.adc.bits": [7]}},
    "tolerance": ["spare-1"],
}
# trains; recalibrations (2 policies); evaluations; map+simulate x 4; tolerance: 2 trainings
# x 1 Pareto rate x (none, spare-1); the 7-bit ADC variant: map+simulate under the sweep's
# placement only (the budget is declared, so no other placement sets it), and per training a
# recalibration and an evaluation at the Pareto rate
JOBS = 2 + 4 + 6 + 8 + 4 + (2 + 2 + 2)


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny")
    outputs = run_sweep(spec_from_dict(TINY), out, jobs=1, progress=False)
    assert (outputs.summary.total, outputs.summary.ran) == (JOBS, JOBS)
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open() as f:
        return list(csv.DictReader(f))


def test_results_are_real_numbers_with_provenance(swept: Path) -> None:
    rows = _rows(swept / "results.csv")
    # 2 models x (2 rates on cpu-1x1 + 1 Pareto rate all-rram + 1 on the 7-bit ADC variant)
    assert len(rows) == 2 * (2 + 1 + 1)
    for row in rows:
        rate = float(row["fault_rate"])
        assert abs(float(row["realised_fraction"]) - rate) < 0.05
        assert 0 <= float(row["mean"]) <= 100 and int(row["chips"]) == 3
        assert float(row["throughput_ips"]) > 0 and float(row["energy_per_image_j"]) > 0
        assert 0 < float(row["occupied_area_mm2"]) <= float(row["provisioned_area_mm2"])
        assert int(row["budget_chips"]) == 1
        if rate == 0:  # no faults: every chip is the same chip
            assert float(row["std"]) == 0
    with ResultsStore.open(swept, create=False) as store:
        jobs = list(store.jobs())
        assert len(jobs) == JOBS
        assert all(
            j.git_commit and j.archsim_version and j.finished_at >= j.started_at for j in jobs
        )
        for job in (j for j in jobs if j.kind in ("train", "recalibrate")):
            assert (swept / job.result["checkpoint"]).is_file()


def test_pareto_csv_is_the_non_dominated_set(swept: Path) -> None:
    with ResultsStore.open(swept, create=False) as store:
        data = load_sweep(store)
    front = _rows(swept / "pareto.csv")
    assert front and len(front) == sum(r.on_front for r in data.pareto)
    names = [name for name, _ in OBJECTIVES]
    ups = [up for _, up in OBJECTIVES]
    for row in data.pareto:
        rivals = [r for r in data.pareto if r.fault_rate == row.fault_rate and r is not row]
        beaten = any(
            dominates([getattr(r, n) for n in names], [getattr(row, n) for n in names], ups)
            for r in rivals
        )
        assert row.on_front == (not beaten)


def test_no_point_occupies_more_than_its_budget(swept: Path) -> None:
    with ResultsStore.open(swept, create=False) as store:
        data = load_sweep(store)
    rows = [*data.accuracy, *data.tolerance]
    assert data.tolerance and all(r.provisioned_area_mm2 for r in rows)
    for r in rows:
        assert r.occupied_area_mm2 is not None and r.provisioned_area_mm2 is not None
        assert r.occupied_area_mm2 <= r.provisioned_area_mm2 * (1 + 1e-9), r
    assert not any(p.over_budget for p in data.pareto)
    # spare-1 takes any crossbars it needs from the replicas: never more throughput
    by = {(r.point.method, r.tolerance): r for r in data.tolerance}
    none, spare = by[("standard", "none")], by[("standard", "spare-1")]
    assert spare.crossbars >= none.crossbars
    assert spare.throughput_ips <= none.throughput_ips


def test_the_tolerance_axis_none_is_the_evaluation_row(swept: Path) -> None:
    """One BatchNorm rule: the axis runs the checkpoint the evaluation rows run, so `none` is
    the evaluation row of its point at that rate, chip for chip, set named the same; spare-1
    has a set of its own configuration."""
    with ResultsStore.open(swept, create=False) as store:
        data = load_sweep(store)
    policy = data.spec.cost.policy
    evaluated = {(r.point.method, r.point.train_rate, r.fault_rate): r for r in data.accuracy
                 if r.point.policy == policy and r.point.recalibrate
                 and r.point.hardware == "isaac"}  # fmt: skip
    nones = [r for r in data.tolerance if r.tolerance == "none"]
    assert nones
    for r in nones:
        ev = evaluated[(r.point.method, r.point.train_rate, r.fault_rate)]
        assert r.per_chip == ev.per_chip and r.bn_set == ev.bn_set
        assert r.bn_set == f"dropconnect:{r.fault_rate!r}"
        assert (r.throughput_ips, r.energy_per_image_j, r.occupied_area_mm2) == (
            ev.throughput_ips,
            ev.energy_per_image_j,
            ev.occupied_area_mm2,
        )  # one design point, one cost, bit for bit
    # a technique that moves faults is scored with a set recalibrated on chips with it
    spares = [r for r in data.tolerance if r.tolerance == "spare-1"]
    assert spares and all(r.fault_rate > 0 for r in spares)
    for r in spares:
        assert r.bn_set == f"dropconnect:{r.fault_rate!r}+spare-1 (on the fly)"
    # so pareto.csv lists the chip once, as its evaluation row, and the tolerance page flags
    # `none` as that row is flagged
    assert not [p for p in data.pareto if p.tolerance == "none"]
    front = {(p.point.method, p.point.train_rate, p.fault_rate): p.on_front for p in data.pareto
             if p.tolerance == "" and p.point.policy == policy and p.point.recalibrate
             and p.point.hardware == "isaac"}  # fmt: skip
    for r in nones:
        assert r.on_front == front[(r.point.method, r.point.train_rate, r.fault_rate)]


def test_the_answer_page_follows_the_title_and_its_numbers_are_pareto_csvs(swept: Path) -> None:
    from archsim.report.pages_answer import answer_pages
    from archsim.report.pages_title import title_page

    assert sections()[:2] == (title_page, answer_pages)
    with ResultsStore.open(swept, create=False) as store:
        data = load_sweep(store)
    assert data.answer is not None and data.answer.rows
    front = _rows(swept / "pareto.csv")
    keys = ("fault_rate", "model", "hardware", "width", "method", "train_rate", "policy")
    keys += ("accuracy",)
    numbers = ("throughput_ips", "energy_per_image_j", "occupied_area_mm2")
    for pick in data.answer.rows:
        cells = encode(pick)  # its design point's fields among its own
        (row,) = [
            r
            for r in front
            if all(str(cells[k]) == r[k] for k in keys) and r["prune"] == pick.point.prune
        ]
        assert [float(row[k]) for k in numbers] == [getattr(pick, k) for k in numbers]
    assert len(data.answer.sentences) == len({r.fault_rate for r in data.answer.rows})


def test_pareto_ends_by_printing_the_answer(swept: Path) -> None:
    import yaml

    spec = swept / "tiny.yaml"
    spec.write_text(yaml.safe_dump(TINY))
    args = ["pareto", "--spec", str(spec), "--out", str(swept), "--jobs", "1", "--no-report"]
    result = CliRunner().invoke(cli, args)  # everything is in the store: nothing reruns
    assert result.exit_code == 0, result.output
    with ResultsStore.open(swept, create=False) as store:
        data = load_sweep(store)
    assert data.answer is not None
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{JOBS} of {JOBS} jobs already in the store")
    assert lines[-len(data.answer.sentences) - len(data.answer.tested) - 1 :] == [
        *data.answer.sentences,
        *(f"{f.key} ({f.source}): {f.verdict_text()}" for f in data.answer.tested),
        data.answer.untested,
    ]
    assert lines[-1].startswith("Not tested by this sweep: ")
    # as a terminal shows both streams: the table's path, then the answer's lines last
    shown = result.output.splitlines()
    assert shown[-len(data.answer.sentences) - len(data.answer.tested) - 2] == result.stdout.strip()
    assert shown[-1] == lines[-1]


@pytest.mark.slow
def test_no_page_has_overlapping_labels_or_an_offset_exponent(swept: Path) -> None:
    with every_page_checked() as problems:
        result = CliRunner().invoke(cli, ["report", str(swept), "--out", str(swept / "x.pdf")])
    assert result.exit_code == 0, result.output
    *found, pages = problems
    assert found == [] and int(pages.split()[0]) >= 15  # every section's pages were checked


@pytest.mark.slow
def test_report_checks_pass_on_every_page_of_the_sweeps_reports(
    swept: Path, tmp_path: Path
) -> None:
    """What CI runs over `make run`'s output (tests/report_checks.py), on the tiny sweep:
    the report, and vulnerability --pdf and ft-report over one of its checkpoints."""
    assert layout_problems(swept, tmp_path) == []
    assert {p.name for p in tmp_path.iterdir()} >= {"report.pdf", "v.pdf", "ft.pdf"}


def test_report_checks_pass_and_catch_an_edited_csv(swept: Path) -> None:
    data, front = sweep_data(swept), pareto_csv(swept)
    assert answer_problems(data, front) == []
    assert front_problems(data, front) == [] and budget_problems(data) == []
    assert data.answer is not None
    pick = data.answer.rows[0]
    edited = [dict(r) for r in front]
    # every front row at the pick's energy (equal design points on two axes tie exactly)
    rows = [r for r in edited if r["energy_per_image_j"] == repr(pick.energy_per_image_j)]
    for row in rows:
        row["energy_per_image_j"] = repr(pick.energy_per_image_j * 1.01)
    said = [p for p in answer_problems(data, edited) if "energy_per_image_j" in p]
    assert any(pick.objective in p for p in said)
    # a member that another point beats on accuracy and ties on every cost is dominated
    worse = {**row, "accuracy": repr(float(row["accuracy"]) - 1)}
    assert any("is dominated" in p for p in front_problems(data, [*front, worse]))
    # an area past its budget is named
    over = dataclasses.replace(
        data.accuracy[0], occupied_area_mm2=2 * (data.accuracy[0].provisioned_area_mm2 or 0)
    )
    assert len(budget_problems(dataclasses.replace(data, accuracy=[over]))) == 1


def test_rerun_costs_nothing_and_report_rerenders_from_the_store(swept: Path) -> None:
    again = run_sweep(spec_from_dict(TINY), swept, jobs=1, progress=False)
    assert (again.summary.skipped, again.summary.ran) == (JOBS, 0)
    with ResultsStore.open(swept, create=False) as store:
        sweeps_before = len(store.sweeps())
    target = swept / "again.pdf"
    result = CliRunner().invoke(cli, ["report", str(swept), "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(target)
    assert target.read_bytes().startswith(b"%PDF")
    with ResultsStore.open(swept, create=False) as store:
        assert len(list(store.jobs())) == JOBS and len(store.sweeps()) == sweeps_before


def test_every_section_renders_and_missing_data_says_so(swept: Path) -> None:
    with ResultsStore.open(swept, create=False) as store:
        data = load_sweep(store)
    for section in sections():
        figures = section(data)
        assert figures, section.__name__
        texts = " ".join(t.get_text() for fig in figures for t in fig.texts)
        assert "Not produced" not in texts, section.__name__
        plt.close("all")
    no_axis = dataclasses.replace(data, spec=data.spec.model_copy(update={"tolerance": []}))
    (page,) = sweep_tolerance_pages(no_axis)
    assert "Not produced by this sweep" in [t.get_text() for t in page.texts]
    no_dropconnect = dataclasses.replace(
        data, accuracy=[r for r in data.accuracy if r.point.method != "dropconnect"]
    )
    (page,) = heatmap_pages(no_dropconnect)
    assert "Not produced by this sweep" in [t.get_text() for t in page.texts]
