"""Checks over a finished sweep's folder (`make run`'s reports/quick, or any sweep's):

(a) every page of its report, and of `archsim vulnerability --pdf` and `archsim ft-report`
    over one of its checkpoints, has no two labels overlapping and no axis offset exponent
    (`page_layout.py`);
(b) the answer page's numbers are pareto.csv's: each pick is a row of pareto.csv with the
    same accuracy, throughput, energy and area, and the page prints those values;
(c) pareto.csv has no dominated member (and misses no undominated point);
(d) no design point (evaluation, hardware variant or tolerance technique) occupies more
    area than its budget.

`python tests/report_checks.py FOLDER` prints each problem and exits 1 on any; CI runs it
over `make run`'s output (`.ci/run`). The functions are also what the tests call.
"""

from __future__ import annotations

import csv
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner
from page_layout import drawn_texts, every_page_checked

from archsim.cli import cli
from archsim.explore.codec import encode
from archsim.explore.pareto import OBJECTIVES, dominates
from archsim.explore.results import SweepData, load_sweep
from archsim.explore.store import ResultsStore
from archsim.report.style import si_column

KEYS = ("fault_rate", "model", "hardware", "width", "method", "train_rate", "policy", "prune",
        "tolerance")  # fmt: skip
NUMBERS = ("accuracy", "throughput_ips", "energy_per_image_j", "occupied_area_mm2")
# the small studies (a) draws from the sweep's checkpoint: a few chips on a few images
STUDY = ("--fault-rate", "0.1", "--limit", "60", "--no-progress", "--threads", "1")


def sweep_data(folder: Path) -> SweepData:
    with ResultsStore.open(folder, create=False) as store:
        return load_sweep(store)


def pareto_csv(folder: Path) -> list[dict[str, str]]:
    with (folder / "pareto.csv").open() as f:
        return list(csv.DictReader(f))


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b))


def answer_problems(data: SweepData, front: list[dict[str, str]]) -> list[str]:
    """(b): each pick of the answer page is one pareto.csv row, number for number, and the
    page draws those numbers as its columns format them."""
    from matplotlib import pyplot as plt

    from archsim.report.pages_answer import answer_pages

    answer = data.answer
    if answer is None or not answer.rows:
        return ["the answer page has no pick"]
    problems = []
    for pick in answer.rows:
        cells = encode(pick)  # its design point's fields among its own
        rows = [r for r in front if all(r[k] == str(cells[k]) for k in KEYS)]
        if len(rows) != 1:
            problems.append(f"answer pick {pick.objective} {pick.name}: {len(rows)} csv rows")
            continue
        for name in NUMBERS:
            if not _same(float(rows[0][name]), getattr(pick, name)):
                problems.append(
                    f"answer pick {pick.objective} {pick.name}: {name} {getattr(pick, name)} "
                    f"on the page, {rows[0][name]} in pareto.csv"
                )
    figs = answer_pages(data)
    drawn = {text.strip() for fig in figs for text, _ in drawn_texts(fig)}
    for fig in figs:
        plt.close(fig)
    for rate in dict.fromkeys(r.fault_rate for r in answer.rows):
        picks = [r for r in answer.rows if r.fault_rate == rate]
        for name, unit in (("throughput_ips", "images/s"), ("energy_per_image_j", "J")):
            _, cells = si_column([getattr(r, name) for r in picks], unit)
            problems += [f"the page does not print {c} ({name})" for c in cells if c not in drawn]
        problems += [
            f"the page does not print accuracy {r.accuracy:.1f}"
            for r in picks
            if not any(t.startswith(f"{r.accuracy:.1f}") for t in drawn)
        ]
    return problems


def front_problems(data: SweepData, front: list[dict[str, str]]) -> list[str]:
    """(c): no pareto.csv row is dominated by another design point at its rate, and every
    undominated point (not over its budget) is a row."""
    names = [name for name, _ in OBJECTIVES]
    ups = [up for _, up in OBJECTIVES]
    problems = []
    for row in front:
        mine = [float(row[n]) for n in names]
        rivals = [p for p in data.pareto if str(p.fault_rate) == row["fault_rate"]]
        if any(dominates([getattr(p, n) for n in names], mine, ups) for p in rivals):
            problems.append(f"pareto.csv row {[row[k] for k in KEYS]} is dominated")
    for p in data.pareto:
        rivals = [r for r in data.pareto if r.fault_rate == p.fault_rate and r is not p]
        values = [getattr(p, n) for n in names]
        beaten = any(dominates([getattr(r, n) for n in names], values, ups) for r in rivals)
        if not beaten and not p.over_budget and not p.on_front:
            problems.append(f"undominated point {[encode(p)[k] for k in KEYS]} not on the front")
    on_front = sum(p.on_front for p in data.pareto)
    if on_front != len(front):
        problems.append(f"pareto.csv has {len(front)} rows, the front {on_front} points")
    return problems


def budget_problems(data: SweepData) -> list[str]:
    """(d): every design point's occupied area is within its budget's (1e-9 relative)."""
    problems = []
    for r in [*data.accuracy, *data.variants, *data.tolerance]:
        used, budget = r.occupied_area_mm2, r.provisioned_area_mm2
        if used is None or budget is None or used > budget * (1 + 1e-9):
            p = r.point
            point = f"{p.model} x{p.width:g} {p.method} {p.policy} f={r.fault_rate:g}"
            problems.append(f"{point} {getattr(r, 'tolerance', '')}: area {used} > {budget}")
    problems += [f"front point over budget: {p}" for p in data.pareto if p.over_budget]
    return problems


def _checkpoint(folder: Path) -> Path:
    """The sweep's first recalibrated (else trained) checkpoint."""
    with ResultsStore.open(folder, create=False) as store:
        jobs = [j for j in store.jobs() if j.kind in ("recalibrate", "train")]
    jobs.sort(key=lambda j: (j.kind != "recalibrate", j.started_at))
    return folder / jobs[0].result["checkpoint"]


def layout_problems(folder: Path, work: Path) -> list[str]:
    """(a): every page `archsim report`, `vulnerability --pdf` and `ft-report` draw from the
    sweep (its store, one of its checkpoints), checked as it is saved."""
    checkpoint = str(_checkpoint(folder))
    runs = [
        ["report", str(folder), "--out", str(work / "report.pdf")],
        ["vulnerability", "--checkpoint", checkpoint, "--chips", "3", "--images-per-chip", "30",
         *STUDY, "--out", str(work / "vulnerability.json"), "--pdf", str(work / "v.pdf")],
        ["tolerance", "--checkpoint", checkpoint, "--technique", "none,remap,spare-1",
         "--chips", "3", *STUDY, "--out", str(work / "tolerance.json")],
        ["ft-report", str(work / "vulnerability.json"), str(work / "tolerance.json"),
         "--out", str(work / "ft.pdf")],
    ]  # fmt: skip
    problems: list[str] = []
    for args in runs:
        with every_page_checked() as found:
            result = CliRunner().invoke(cli, args)
        if result.exit_code != 0:
            problems.append(f"archsim {args[0]} failed: {result.output[-500:]}")
        *pages, count = found
        problems += [f"archsim {args[0]}: {p}" for p in pages]
        print(f"archsim {args[0]}: {count} checked", file=sys.stderr)
    return problems


def report_problems(folder: Path, work: Path) -> list[str]:
    data, front = sweep_data(folder), pareto_csv(folder)
    return [
        *answer_problems(data, front),
        *front_problems(data, front),
        *budget_problems(data),
        *layout_problems(folder, work),
    ]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python tests/report_checks.py SWEEP_FOLDER", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as work:
        problems = report_problems(Path(argv[0]), Path(work))
    for p in problems:
        print(p)
    print(f"{len(problems)} problems", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
