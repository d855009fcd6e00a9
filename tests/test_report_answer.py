"""The answer page's picks by hand: per Pareto rate the best front point under each objective
and under the energy constraint, the sentence that says it, and one line for the findings
the sweep did not test; the page prints those numbers in SI units."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
from sweep_rows import accuracy_row
from test_report_tables import _data, _tables

from archsim.explore.answer import CONSTRAINED, answer_lines
from archsim.report.pages_answer import answer_pages
from archsim.tables import si, si_decimals, si_prefix


def _cost(throughput: float, energy: float, area: float) -> dict[str, Any]:
    return {"throughput_ips": throughput, "energy_per_image_j": energy, "occupied_area_mm2": area}


def _three_points() -> list[Any]:
    dc = {"method": "dropconnect", "train_rate": 0.2}
    return [
        # A: most accurate, 4 uJ (2x the cheapest: outside the 1.5x constraint)
        accuracy_row(
            [80.0, 82.0, 84.0],
            fault_rate=0.1,
            ci_low=79.0,
            ci_high=85.0,
            **dc,
            **_cost(1000.0, 4e-6, 3.0),
        ),
        # B: 2.8 uJ (1.4x the cheapest: inside), 76 %, fastest
        accuracy_row(
            [74.0, 76.0, 78.0],
            fault_rate=0.1,
            ci_low=73.0,
            ci_high=79.0,
            **_cost(5000.0, 2.8e-6, 3.0),
        ),
        # C: the cheapest (2 uJ) and smallest, 60 %
        accuracy_row([60.0, 60.0, 60.0], fault_rate=0.1, width=1.4, **_cost(900.0, 2e-6, 2.0)),
    ]


def test_the_picks_and_the_sentence_by_hand() -> None:
    data = _data(accuracy=_three_points())
    assert data.answer is not None
    picks = {r.objective: (r.accuracy, r.point.width, r.point.method) for r in data.answer.rows}
    assert picks == {
        "most accurate": (82.0, 1.0, "dropconnect"),
        "highest throughput": (76.0, 1.0, "standard"),
        "least energy per image": (60.0, 1.4, "standard"),
        "least occupied area": (60.0, 1.4, "standard"),
        # 1.5 x 2 uJ = 3 uJ admits B (2.8 uJ) and C, not A (4 uJ); B is the more accurate
        CONSTRAINED: (76.0, 1.0, "standard"),
    }
    a = {r.objective: r for r in data.answer.rows}["most accurate"]
    # the 5th percentile of (80, 82, 84): 80 + 0.05 * 2 * (82 - 80) = 80.2
    assert (a.ci_low, a.ci_high, round(a.p5 or 0, 6), a.chips) == (79.0, 85.0, 80.2, 3)
    assert a.yield_fraction is None  # the spec sets no threshold
    (said,) = data.answer.sentences
    # A adds 82 - 76 = 6 points for 4 / 2.8 = 1.4x the energy; C saves 1 - 2 / 2.8 = 29 %
    # and loses 76 - 60 = 16 points
    assert said == (
        "At fault rate 0.1, build resnet20 x1 standard, cpu-1x1: 76.0 % [73.0, 79.0] for "
        "2.80 µJ per image at 5.00 k images/s. The most accurate point, resnet20 x1 "
        "drop-connect p=0.2, cpu-1x1, adds 6.0 points for 1.4x the energy. The cheapest, "
        "resnet20 x1.4 standard, cpu-1x1, saves 29% of the energy and loses 16.0 points."
    )
    assert answer_lines(data.answer)[0] == said


def test_untested_findings_collapse_into_one_line() -> None:
    data = _data(accuracy=_three_points())
    assert data.answer is not None
    line = data.answer.untested
    assert line.startswith("Not tested by this sweep: ") and "SFT-1" in line
    # grouped by the sweep that tests them, e.g. the stochastic-training rows
    assert "SFT-1, SFT-2, SFT-3, SFT-5: archsim pareto --preset fmnist-sft" in line
    assert all(f.key not in line for f in data.answer.tested)
    assert answer_lines(data.answer)[-1] == line


def test_the_page_prints_the_picks_in_si_units() -> None:
    data = _data(accuracy=_three_points())
    (fig,) = answer_pages(data)
    (table,) = _tables(fig)
    header, rows = table[0], table[1:]
    assert header[-3:] == [
        "throughput (k\nimages/s)",
        "energy per\nimage (µJ)",
        "occupied area\n(mm²)",
    ]
    assert rows[0][:3] == [
        "most accurate",
        "resnet20 x1 drop-connect p=0.2, cpu-1x1",
        "82.0 [79.0, 85.0]",
    ]
    # one format per column: 1000, 5000, 900, 900, 5000 images/s -> median 1000: k; the
    # smallest, 0.9 k, needs 3 decimals for three significant digits
    assert [r[-3] for r in rows] == ["1.000", "5.000", "0.900", "0.900", "5.000"]
    assert [r[-2] for r in rows] == ["4.00", "2.80", "2.00", "2.00", "2.80"]
    plt.close("all")


def test_si_prefix_and_format_by_hand() -> None:
    assert si_prefix([3.1e-5, 2e-5, 9e-4]) == (1e-6, "µ")  # median 3.1e-5 -> µ
    assert si_decimals([31.0, 250.0], 1.0) == 1  # smallest 31: three significant digits
    assert si(3.094e-05, "J") == "30.9 µJ"
    assert si(117_200.0, "images/s") == "117 k images/s"
    assert si(0.0, "J") == "0 J"


def test_a_sweep_with_hardware_variants_names_each_picks_hardware() -> None:
    """Two chips that differ only in their ADC are two points: each pick says which it is
    (pareto.csv tells them apart by `hardware`); a sweep of one hardware does not say it."""
    six = "isaac[ima.adc.bits=6]"
    points = _three_points()
    # C on 6-bit ADCs: 1.5 uJ, less energy than every 8-bit point
    variant = accuracy_row(
        [58.0, 58.0, 58.0], fault_rate=0.1, width=1.4, hardware=six, **_cost(900.0, 1.5e-6, 1.9)
    )
    data = _data(accuracy=points, variants=[variant])
    assert data.answer is not None
    by = {r.objective: r for r in data.answer.rows}
    cheapest = by["least energy per image"]
    assert cheapest.point.hardware == six
    assert cheapest.name == f"resnet20 x1.4 standard, cpu-1x1 on {six}"
    assert by["most accurate"].name.endswith(" on isaac")
    alone = _data(accuracy=points).answer
    assert alone is not None and not any(" on " in r.name for r in alone.rows)
