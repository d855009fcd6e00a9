"""How `archsim map` prints a mapping: per-layer rows for one width, one summary row per
width for several (`summary_row` is the place to add cost columns)."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from archsim.cli.output import emit

if TYPE_CHECKING:
    from archsim.api.mapping import LayerMapping, Mapping
    from archsim.cli.cost_rows import CostReport

LAYER_COLUMNS = (
    "layer", "kind", "target", "matrix", "cells_per_weight", "blocks", "replicas",
    "crossbars", "utilization", "macs", "reason",
)  # fmt: skip
SUMMARY_COLUMNS = (
    "model", "width", "crossbars", "imas", "tiles", "chips", "utilization",
    "rram_macs", "cpu_macs", "total_macs", "rram_mac_share", "params",
)  # fmt: skip


def _matrix(lm: "LayerMapping") -> str:
    if not lm.spec.is_weight_layer or not lm.spec.supported:
        return ""
    shape = f"{lm.spec.matrix_rows}x{lm.spec.matrix_cols}"
    return f"{lm.spec.groups}*{shape}" if lm.spec.groups > 1 else shape


def layer_rows(mapping: "Mapping") -> list[dict[str, Any]]:
    return [
        {
            "layer": lm.spec.name,
            "kind": lm.spec.kind,
            "target": lm.target,
            "matrix": _matrix(lm),
            "cells_per_weight": lm.cells_per_weight,
            "blocks": len(lm.blocks),
            "replicas": lm.replicas,
            "crossbars": lm.crossbars,
            "utilization": round(lm.utilization, 4),
            "macs": lm.spec.macs,
            "reason": lm.reason,
        }
        for lm in mapping.layers
    ]


def summary_row(mapping: "Mapping") -> dict[str, Any]:
    from archsim.api.mapping import summarize

    s = summarize(mapping)
    return {
        "model": mapping.model,
        "width": mapping.width,
        "crossbars": s.crossbars,
        "imas": s.imas,
        "tiles": s.tiles,
        "chips": s.chips,
        "utilization": round(s.mean_utilization, 4),
        "rram_macs": s.rram_macs,
        "cpu_macs": s.cpu_macs,
        "total_macs": s.total_macs,
        "rram_mac_share": round(s.rram_mac_fraction, 4),
        "params": s.params,
    }


def describe_setup(mapping: "Mapping") -> dict[str, Any]:
    return {
        "hardware": mapping.hardware,
        "crossbar": f"{mapping.crossbar_rows}x{mapping.crossbar_cols}, "
        f"{mapping.bits_per_cell}-bit cells, {mapping.weight_bits}-bit weights, "
        f"{mapping.encoding} encoding",
        "policy": mapping.policy + "".join(f" {o}" for o in mapping.overrides),
        "input_shape": ",".join(map(str, mapping.input_shape)),
        "budget_chips": mapping.budget_chips,
        **({"budget_tiles": mapping.budget_tiles} if mapping.budget_tiles else {}),
        **({"packed_imas": True} if mapping.packed_imas else {}),
        "replicate": mapping.replicate,
    }


def render(mappings: Sequence["Mapping"], fmt: str, costs: "CostReport | None" = None) -> None:
    setup = describe_setup(mappings[0])
    if len(mappings) > 1:
        if costs is not None:  # the Table II layout (archsim.cli.cost_rows.py)
            costs.emit_widths([summary_row(m) for m in mappings], SUMMARY_COLUMNS, fmt, setup)
            return
        emit([summary_row(m) for m in mappings], fmt, SUMMARY_COLUMNS, extra=setup)
        return
    mapping = mappings[0]
    totals = summary_row(mapping)
    totals["chips"] = f"{totals['chips']} of {mapping.chips_available}"
    left_out = [lm.spec.name for lm in mapping.layers if lm.target == "unsupported"]
    if left_out:
        totals["left_out"] = ", ".join(left_out)
    rows, columns = layer_rows(mapping), list(LAYER_COLUMNS)
    notes = list(mapping.notes)
    if costs is not None:
        rows, columns = costs.layer_rows(rows, columns)
        notes += costs.notes()
    if fmt == "json":
        extra = {"setup": setup, "totals": totals, "notes": notes}
        if costs is not None:
            extra["costs"] = costs.totals()
        emit(rows, fmt, columns, extra=extra)
        return
    emit(rows, fmt, columns)
    if fmt == "table":
        click.echo("")
        shown = [c for c in SUMMARY_COLUMNS if c != "model"] + (["left_out"] if left_out else [])
        emit([totals], fmt, shown, extra=setup)
        for key, value in (costs.totals() if costs is not None else {}).items():
            click.echo(f"{key}: {value}")
        for note in notes:
            click.echo(f"note: {note}")
