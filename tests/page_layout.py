"""Test helpers: what a report page must not do, read from the text it draws (every text
artist as the renderer draws it onto the page, with its box): two labels' boxes
overlapping, or an axis carrying an offset exponent (matplotlib's `1e-5` above an axis)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

OVERLAP_PX = 1.0  # boxes may touch; a shared area wider and taller than this is an overlap


def drawn_texts(fig: Figure) -> list[tuple[str, Bbox]]:
    """Every text the figure draws (a tick outside its axis' view is not drawn), with its
    box in display pixels."""
    drawn: list[tuple[str, Bbox]] = []
    draw = Text.draw

    def recording(self: Text, renderer: Any) -> None:
        draw(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn.append((self.get_text(), self.get_window_extent(renderer)))

    with mock.patch.object(Text, "draw", recording):
        fig.canvas.draw()  # type: ignore[attr-defined]
    return drawn


def overlaps(fig: Figure) -> list[str]:
    """Pairs of drawn labels whose boxes overlap, as "'a' / 'b'"."""
    boxes = drawn_texts(fig)
    out = []
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1 :]:
            width = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
            height = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
            if width > OVERLAP_PX and height > OVERLAP_PX:
                out.append(f"{a!r} / {b!r}")
    return out


def offset_exponents(fig: Figure) -> list[str]:
    """The axes that print an offset or a scale beside their ticks ("1e-5", "+3.1e4")."""
    fig.canvas.draw()  # type: ignore[attr-defined]
    return [
        f"{axis.get_label_text()}: {axis.get_offset_text().get_text()}"
        for ax in fig.axes
        for axis in (ax.xaxis, ax.yaxis)
        if axis.get_offset_text().get_text()
    ]


@contextmanager
def every_page_checked() -> Iterator[list[str]]:
    """Within the block, every page any PDF saves is checked first; the list gathers each
    page's problems ("page 3: overlap 'a' / 'b'") and, at the end, the number of pages."""
    from matplotlib.backends.backend_pdf import PdfPages

    problems: list[str] = []
    pages = [0]
    save = PdfPages.savefig

    def checked(self: PdfPages, figure: Figure, **kwargs: Any) -> None:
        pages[0] += 1
        where = f"page {pages[0]} ({figure.get_suptitle()[:40]})"
        problems.extend(f"{where}: overlap {o}" for o in overlaps(figure))
        problems.extend(f"{where}: offset {o}" for o in offset_exponents(figure))
        save(self, figure, **kwargs)

    with mock.patch.object(PdfPages, "savefig", checked):
        yield problems
    problems.append(f"{pages[0]} pages")
