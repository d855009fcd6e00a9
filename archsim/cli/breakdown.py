"""`archsim map --breakdown`: energy per image by component, per layer and in total, with the
dynamic part (what each layer's actions cost) and the static part (static power of what is
powered x the interval) apart.

Rows, per width: one per layer with dynamic energy (`part` dynamic), the layers' sum
(`(dynamic)`), the static row (`(static)`, by component: the tiles' parts, the powered chip
links, the CPU's idle power when it is charged) and the total (`(total)`). Columns: one per
component that costs anything, and `total_j`. The static figures rest on each component's
`leakage_mw` in the hardware file, which for ISAAC are stated assumptions (ISAAC reports no
static power; docs/validation.md, "Static power").
"""

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archsim.api.perf import PerfResult

STATIC_NOTE = (
    "static: each component's leakage_mw in the hardware file x the interval, for the tiles, "
    "chip links and CPU that are powered; for ISAAC these are assumed shares of Table 2's "
    "power (docs/validation.md, 'Static power'), dynamic energy is from the actions counted"
)


def _sig(value: float) -> float:
    return float(f"{value:.5g}")


def _row(width: float, layer: str, part: str, by: dict[str, float]) -> dict[str, Any]:
    row: dict[str, Any] = {"width": width, "layer": layer, "part": part}
    row.update({c: _sig(j) for c, j in by.items() if j})
    row["total_j"] = _sig(math.fsum(by.values()))
    return row


def breakdown_rows(results: Sequence["PerfResult"]) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows and columns of the breakdown of every width's estimate
    (`archsim.api.perf.energy_breakdown`)."""
    from archsim.api.perf import energy_breakdown

    rows: list[dict[str, Any]] = []
    components: dict[str, None] = {}
    for r in results:
        b = energy_breakdown(r)
        rows += [_row(b.width, name, "dynamic", by) for name, by in b.layers]
        rows.append(_row(b.width, "(dynamic)", "dynamic", b.dynamic))
        rows.append(_row(b.width, "(static)", "static", b.static))
        rows.append(_row(b.width, "(total)", "dynamic+static", b.total))
        components.update(dict.fromkeys(c for c, j in sorted(b.total.items()) if j))
    return rows, ["width", "layer", "part", *components, "total_j"]


def emit_breakdown(results: Sequence["PerfResult"], fmt: str) -> None:
    from archsim.cli.output import emit

    rows, columns = breakdown_rows(results)
    extra: dict[str, Any] = {
        "hardware": results[0].hardware,
        "estimator": results[0].estimator,
        "unit": "J per image",
        "note": STATIC_NOTE,
    }
    emit(rows, fmt, columns, extra=None if fmt == "csv" else extra)
