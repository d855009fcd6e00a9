"""The page checks the report tests use (`page_layout`) find what they look for, and the
report style avoids it: SI units on an axis instead of an offset exponent, numbered labels
placed where they do not overlap."""

from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt
from page_layout import offset_exponents, overlaps

from archsim.report.style import page, place_labels, si_axis


def test_the_checks_find_an_overlap_and_an_offset_exponent() -> None:
    fig = page("t")
    fig.text(0.5, 0.5, "first label")
    fig.text(0.505, 0.5, "second label")
    ax = fig.add_axes((0.1, 0.1, 0.3, 0.3))
    ax.plot([3.1e-5, 3.2e-5], [1, 2])  # matplotlib writes 1e-5 beside this axis
    assert overlaps(fig) == ["'first label' / 'second label'"]
    assert offset_exponents(fig) == [": 1e−5"]  # the x axis (no label), ticks in units of 1e-5
    plt.close(fig)


def test_si_axis_and_placed_labels_leave_nothing_to_find() -> None:
    fig = page("t")
    ax = fig.add_axes((0.1, 0.1, 0.3, 0.3))
    xs = [3.1e-5, 3.1e-5, 3.1e-5, 3.2e-5, 3.15e-5]  # three points on one spot
    ys = [50.0, 50.0, 50.0, 50.2, 50.1]
    ax.scatter(xs, ys)
    assert si_axis(ax, "x", xs, "energy per image", "J") == ""
    place_labels(ax, xs, ys, [str(n) for n in range(1, 6)])
    assert ax.get_xlabel() == "energy per image (µJ)"
    assert overlaps(fig) == [] and offset_exponents(fig) == []
    assert "1,2,3" in [t.get_text() for t in ax.texts]  # one label for the shared spot
    plt.close(fig)


def test_si_axis_goes_log_over_decades_and_says_when_a_value_is_constant() -> None:
    fig = page("t")
    ax = fig.add_axes((0.1, 0.1, 0.3, 0.3))
    assert si_axis(ax, "x", [1e-6, 3e-2], "energy per image", "J") == ""
    assert ax.get_xscale() == "log"  # 30,000 times: more than DECADES
    flat = fig.add_axes((0.5, 0.1, 0.3, 0.3))
    flat.scatter([625e3, 625e3], [1, 2])
    assert si_axis(flat, "x", [625e3, 625e3], "throughput", "images/s") == (
        "every point has the same throughput"
    )
    assert flat.get_xlim() == (562.5e3, 687.5e3)  # 625 k +- 10 %
    assert offset_exponents(fig) == []
    plt.close(fig)


def test_the_title_page_puts_a_long_description_above_the_grid() -> None:
    """The quick preset's description takes four lines: the grid starts under them."""
    from test_report_tables import _data

    from archsim.explore.spec import load_preset
    from archsim.report.pages_title import title_page

    data = _data()
    data = dataclasses.replace(
        data, spec=data.spec.model_copy(update={"description": load_preset("quick").description})
    )
    (fig,) = title_page(data)
    assert overlaps(fig) == []
    plt.close(fig)
