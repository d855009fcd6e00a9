"""Records as text: an aligned table or CSV. Used by the CLI and by the sweep's CSV files,
so it lives below both and imports neither."""

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any


def cell(value: Any) -> str:
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 1e5 or abs(value) < 1e-3:
            return f"{value:.4g}"
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def render_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    if not rows:
        return "(no rows)"
    cols = list(columns or rows[0].keys())
    cells = [[cell(row.get(c, "")) for c in cols] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(cols)]
    # Numbers are right-aligned so digits line up; text columns read better left-aligned.
    numeric = [
        all(isinstance(row.get(c), int | float) for row in rows if row.get(c) is not None)
        for c in cols
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if is_number else v.ljust(w)
            for v, w, is_number in zip(values, widths, numeric, strict=True)
        ).rstrip()

    out = [line(cols), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out)


def render_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    buf = io.StringIO()
    cols = list(columns or (rows[0].keys() if rows else []))
    writer = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().rstrip("\n")


PREFIXES = ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"))


def si_prefix(values: Sequence[float]) -> tuple[float, str]:
    """The SI prefix (its scale and symbol) that puts the median magnitude of `values` in
    [1, 1000): one prefix for a whole column, so its numbers compare at a glance."""
    sizes = sorted(abs(v) for v in values if v)
    if not sizes:
        return 1.0, ""
    median = sizes[len(sizes) // 2]
    return next(((s, p) for s, p in PREFIXES if median >= s), PREFIXES[-1])


def si_decimals(values: Sequence[float], scale: float) -> int:
    """Decimals that give the column's smallest nonzero value (after `scale`) three
    significant digits, at most 3: one number format for the whole column."""
    sizes = [abs(v) / scale for v in values if v]
    if not sizes:
        return 0
    smallest = min(sizes)
    return 0 if smallest >= 100 else 1 if smallest >= 10 else 2 if smallest >= 1 else 3


def si(value: float, unit: str, scale: float | None = None, decimals: int | None = None) -> str:
    """`value` in `unit` with an SI prefix ("12.3 µJ"); a column passes its shared `scale`
    (`si_prefix`) and `decimals` (`si_decimals`)."""
    if scale is None:
        scale, _ = si_prefix([value])
    symbol = next((p for s, p in PREFIXES if s == scale), "")
    if decimals is None:
        decimals = si_decimals([value], scale)
    return f"{value / scale:,.{decimals}f} {si_unit(symbol, unit)}"


def si_unit(symbol: str, unit: str) -> str:
    """A prefixed unit: "µJ", "mm²", but "k images/s" (a word keeps its space)."""
    return f"{symbol} {unit}" if symbol and len(unit) > 3 else f"{symbol}{unit}"
