"""Rows and columns the CLI prints for performance results (`archsim map` cost columns).

- per layer: latency share (busy time / sum of busy times) and dynamic energy per image;
- totals: throughput (the headline), single-image latency, energy per image and its split,
  images/J, provisioned and occupied area, images/s/mm^2, the budget, the bottleneck;
- one row per width: the same figures side by side, throughput relative to the first width;
- with `--estimator paper` only, the Table II layout: N-image latency and energy, their ratio
  to width 1.0, and the paper's values beside ours when the network is the paper's. The DES
  and the closed form are never put beside Table II: they estimate a different quantity (a
  pipeline's throughput in a chip budget, not MACs at a fitted rate).
"""

from collections.abc import Mapping as MappingABC
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from archsim.api.perf import PerfResult, Table2Comparison
from archsim.cli.output import emit

if TYPE_CHECKING:
    from archsim.api.mapping import WidthCost

LAYER_COST_COLUMNS = ("latency_share", "energy_j")
WIDTH_COLUMNS = (
    "model", "width", "estimator", "throughput_ips", "throughput_ratio", "latency_s",
    "energy_per_image_j", "energy_dynamic_j", "energy_static_j", "energy_cpu_j",
    "energy_links_j", "static_share", "images_per_j", "replicas_added",
    "occupied_area_mm2", "provisioned_area_mm2", "images_per_s_per_mm2", "budget_chips",
    "bottleneck",
)  # fmt: skip
# what fits a terminal: the figures that differ between widths (the rest are in csv/json)
WIDTH_TABLE_COLUMNS = (
    "width", "throughput_ips", "throughput_ratio", "latency_s", "energy_per_image_j",
    "static_share", "replicas_added", "occupied_area_mm2", "bottleneck",
)  # fmt: skip
TABLE2_COLUMNS = (
    "model", "width", "estimator", "images", "latency_s", "energy_j", "latency_ratio",
    "energy_ratio", "paper_latency_s", "paper_energy_j", "paper_latency_ratio",
    "paper_energy_ratio", "latency_vs_paper", "energy_vs_paper",
)  # fmt: skip
FIGURES_NOTE = (
    "throughput: images/s while images stream through the pipeline balanced in the budget; "
    "latency: one image alone; energy per image = dynamic + static (static power x interval) "
    "+ CPU + links, the static part resting on the hardware file's assumed static shares "
    "(`--breakdown` shows each component's); occupied area: tiles used + their share of the "
    "powered chip links (docs/validation.md)"
)


def _sig(value: float, digits: int = 5) -> float:
    return float(f"{value:.{digits}g}")


def with_layer_costs(
    rows: Sequence[MappingABC[str, Any]], result: PerfResult
) -> list[dict[str, Any]]:
    """The mapper's per-layer rows with latency share and energy per image added."""
    costs = {layer.name: layer for layer in result.layers}
    out = []
    for row in rows:
        layer = costs[row["layer"]]
        out.append(
            {
                **row,
                "latency_share": round(layer.latency_share, 4),
                "energy_j": _sig(layer.energy_j),
            }
        )
    return out


def cost_totals(result: PerfResult) -> dict[str, Any]:
    """Totals of one estimate, for the line block under the per-layer table."""
    return {
        "estimator": result.estimator,
        "throughput_images_per_s": _sig(result.throughput_images_per_s),
        "latency_s": _sig(result.latency_s),
        f"time_for_{result.images}_images_s": _sig(result.total_latency_s),
        "energy_per_image_j": _sig(result.energy_per_image_j),
        "energy_dynamic_j": _sig(result.dynamic_energy_j),
        "energy_static_j": _sig(result.static_energy_j),
        "energy_cpu_j": _sig(result.cpu_energy_j),
        "energy_links_j": _sig(result.link_energy_j),
        "images_per_j": _sig(result.images_per_j),
        "provisioned_area_mm2": _sig(result.provisioned_area_mm2),
        "occupied_area_mm2": _sig(result.occupied_area_mm2),
        "images_per_s_per_mm2": _sig(result.images_per_s_per_mm2),
        "budget_chips": result.budget_chips,
        "chips_used": result.chips_used,
        "tiles_used": result.tiles_used,
        "bottleneck": result.bottleneck,
        "events": result.events,
    }


def width_rows(results: Sequence[PerfResult], replicas: Sequence[int]) -> list[dict[str, Any]]:
    """One row per width of the figures a designer compares; throughput relative to the
    first width."""
    base = results[0].throughput_images_per_s
    return [
        {
            "model": r.model, "width": r.width, "estimator": r.estimator,
            "throughput_ips": _sig(r.throughput_images_per_s),
            "throughput_ratio": round(r.throughput_images_per_s / base, 4),
            "latency_s": _sig(r.latency_s), "energy_per_image_j": _sig(r.energy_per_image_j),
            "energy_dynamic_j": _sig(r.dynamic_energy_j),
            "energy_static_j": _sig(r.static_energy_j), "energy_cpu_j": _sig(r.cpu_energy_j),
            "energy_links_j": _sig(r.link_energy_j),
            "static_share": round(r.static_energy_j / r.energy_per_image_j, 4),
            "images_per_j": _sig(r.images_per_j), "replicas_added": n,
            "occupied_area_mm2": _sig(r.occupied_area_mm2),
            "provisioned_area_mm2": _sig(r.provisioned_area_mm2),
            "images_per_s_per_mm2": _sig(r.images_per_s_per_mm2),
            "budget_chips": r.budget_chips, "bottleneck": r.bottleneck,
        }
        for r, n in zip(results, replicas, strict=True)
    ]  # fmt: skip


def table2_rows(compared: Sequence[Table2Comparison], compare: bool) -> list[dict[str, Any]]:
    """One row per width: N-image latency and energy, ratios to the base width, and the
    paper's cells scaled to the same N when `compare` and Table II has them."""
    rows = []
    for c in compared:
        ours = c.ours
        assert c.latency_vs_base is not None and c.energy_vs_base is not None  # a base width
        row: dict[str, Any] = {
            "model": ours.net,
            "width": ours.width,
            "estimator": "paper",
            "images": ours.images,
            "latency_s": _sig(ours.latency_s),
            "energy_j": _sig(ours.energy_j),
            "latency_ratio": round(c.latency_vs_base, 4),
            "energy_ratio": round(c.energy_vs_base, 4),
        }
        if compare and c.latency_vs_paper is not None and c.energy_vs_paper is not None:
            assert c.paper_latency_s is not None and c.paper_energy_j is not None
            row["paper_latency_s"] = _sig(c.paper_latency_s)
            row["paper_energy_j"] = _sig(c.paper_energy_j)
            if c.paper_latency_vs_base is not None and c.paper_energy_vs_base is not None:
                row["paper_latency_ratio"] = round(c.paper_latency_vs_base, 4)
                row["paper_energy_ratio"] = round(c.paper_energy_vs_base, 4)
            row["latency_vs_paper"] = f"{c.latency_vs_paper - 1:+.2%}"
            row["energy_vs_paper"] = f"{c.energy_vs_paper - 1:+.2%}"
        rows.append(row)
    return rows


class CostReport:
    """Cost estimates of the mapped widths, with how to print them beside the mapper's rows."""

    def __init__(self, widths: Sequence["WidthCost"], paper_note: str | None) -> None:
        self.results = [w.result for w in widths]
        self.paper_note = paper_note  # why Table II does not apply; None when it does
        self.replicas = [w.replicas_added for w in widths]  # beyond one copy of each layer

    def layer_rows(
        self, rows: Sequence[MappingABC[str, Any]], columns: Sequence[str]
    ) -> tuple[list[dict[str, Any]], list[str]]:
        return with_layer_costs(rows, self.results[0]), [*columns, *LAYER_COST_COLUMNS]

    def totals(self) -> dict[str, Any]:
        return cost_totals(self.results[0])

    @property
    def paper_layout(self) -> bool:
        return self.results[0].estimator == "paper"

    def notes(self) -> list[str]:
        from archsim.api.perf import small_share_note

        notes = [] if self.paper_layout else [FIGURES_NOTE]
        small = None if self.paper_layout else small_share_note(self.results)
        if small:
            notes.append(small)
        notes += [n for r in self.results for n in r.notes]
        if self.paper_layout and self.paper_note:
            notes.append(f"not compared with Table II: {self.paper_note}")
        return list(dict.fromkeys(notes))

    def width_rows(self) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
        if self.paper_layout:
            from archsim.api.perf import table2

            compared = table2(self.results)
            return table2_rows(compared, compare=self.paper_note is None), TABLE2_COLUMNS
        return width_rows(self.results, self.replicas), WIDTH_COLUMNS

    def emit_widths(
        self,
        summary: Sequence[MappingABC[str, Any]],
        summary_columns: Sequence[str],
        fmt: str,
        setup: MappingABC[str, Any],
    ) -> None:
        """csv/json: Table II columns joined to the summary rows; table: a second table."""
        costs, layout = self.width_rows()
        columns = [c for c in layout if any(c in row for row in costs)]
        if fmt == "table":
            emit(summary, fmt, summary_columns)
            print_lines([""])
            narrow = (
                columns if self.paper_layout else [c for c in WIDTH_TABLE_COLUMNS if c in columns]
            )
            first = self.results[0]
            shared = {
                "estimator": first.estimator,
                "provisioned_area_mm2": _sig(first.provisioned_area_mm2),
            }
            emit(costs, fmt, narrow, extra={**setup, **({} if self.paper_layout else shared)})
            print_lines([f"note: {n}" for n in self.notes()])
            return
        merged = [{**s, **c} for s, c in zip(summary, costs, strict=True)]
        extra = {**setup, "notes": self.notes()} if fmt == "json" else None
        emit(
            merged,
            fmt,
            [*summary_columns, *(c for c in columns if c not in summary_columns)],
            extra=extra,
        )


def print_lines(lines: Sequence[str]) -> None:
    for line in lines:
        click.echo(line)
