"""Rows of a sweep's `tolerance` axis, joined from its expansion and the results store.

Each row is one trained point under one technique at one Pareto fault rate, with its
accuracy over the sweep's chips, its charged cost (`kinds/tolerance.py`), and what it gained
and spent against the same point's `none` on the same chips: the paired accuracy difference
(`faults.stats.paired_difference`, 95% Student-t) and the throughput, energy and area
differences. Jobs missing from the store are left out, never invented.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from archsim.explore.codec import decode_record, flat, hidden
from archsim.explore.expansion import Expansion
from archsim.explore.records import DesignPoint, Stats
from archsim.explore.tolerance_axis import REFERENCE
from archsim.faults.stats import paired_difference


@dataclass(frozen=True, kw_only=True)
class ToleranceRow:
    """One trained point under one technique at one Pareto fault rate (a row of
    tolerance.csv); `on_front`: on the sweep's Pareto front at that rate."""

    # the sweep's reference hardware (the axis runs on it)
    point: DesignPoint = flat(skip=("hardware", "net", "recalibrate"))
    tolerance: str
    fault_rate: float
    stats: Stats = flat(skip=("yield",))
    chips: int
    throughput_ips: float
    energy_per_image_j: float
    occupied_area_mm2: float
    provisioned_area_mm2: float | None = None  # the budget's silicon (None: not stored)
    crossbars: int
    spare_columns: int
    remap: bool
    placement: str
    remap_table_bits: int
    remap_seconds_per_chip: float | None = None  # None: not measured (`none` reuses its evaluation)
    eval_seconds_per_chip: float | None = None
    cpu_moved: str  # the layers the technique moved to the CPU, space-separated
    bn_set: str | None = None  # the BatchNorm statistics (None: stored before it was said)
    gain: float | None = None  # paired: this technique minus none on the same chips
    gain_half_width: float | None = None
    gain_chips: int | None = None
    delta_throughput_ips: float | None = None  # this technique's charged cost minus none's
    delta_energy_per_image_j: float | None = None
    delta_occupied_area_mm2: float | None = None
    evaluate_key: str
    train_key: str
    per_chip: tuple[float, ...] = hidden(())
    on_front: bool = hidden(False)


@dataclass(frozen=True, kw_only=True)
class ToleranceCostRow:
    """What one technique is charged on one net, width and placement (tolerance_costs.csv)."""

    model: str
    width: float
    policy: str
    tolerance: str
    placement: str
    cpu_moved: str
    spare_columns: int
    remap: bool
    throughput_ips: float
    energy_per_image_j: float
    occupied_area_mm2: float
    crossbars: int
    remap_table_bits: int
    delta_throughput_ips: float | None
    delta_energy_per_image_j: float | None
    delta_occupied_area_mm2: float | None


def _pair_key(row: ToleranceRow) -> tuple[DesignPoint, float]:
    """The trained point and fault rate a technique is paired on with its `none`."""
    return row.point, row.fault_rate


def _row(
    point: dict[str, Any],
    fault_rate: float,
    result: dict[str, Any],
    evaluate_key: str,
    train_key: str,
) -> ToleranceRow:
    """The tolerance job's stored result read as a row of its point (`ToleranceRow`)."""
    cpu_moved = " ".join(result.get("cpu_moved", []))
    keys = {"evaluate_key": evaluate_key, "train_key": train_key}
    stored = {**result, **point, "fault_rate": fault_rate, "cpu_moved": cpu_moved, **keys}
    return decode_record(ToleranceRow, stored, evaluate_key, extra=True)


COSTS = ("throughput_ips", "energy_per_image_j", "occupied_area_mm2", "provisioned_area_mm2")


def tolerance_rows(expansion: Expansion, results: dict[str, dict[str, Any]]) -> list[ToleranceRow]:
    """The stored rows; `none` takes the sweep's own cost of the point (the simulate job its
    evaluation rows read) as it is, so the same design point has one cost, bit for bit."""
    rows: list[ToleranceRow] = []
    for ev in expansion.tolerance_evaluations:
        result = results.get(ev.key)
        if result is None:
            continue
        sweep = results.get(ev.cost_key)
        if ev.point["tolerance"] == REFERENCE and sweep is not None:
            result = {**result, **{k: sweep.get(k) for k in COSTS}}
        rows.append(_row(ev.point, ev.fault_rate, result, ev.key, ev.train_key))
    return paired_with_none(rows)


def paired_with_none(rows: list[ToleranceRow]) -> list[ToleranceRow]:
    """`rows` with what each gained and spent against its point's `none` on the same chips
    (left None where that `none` is not among them)."""
    reference = {_pair_key(r): r for r in rows if r.tolerance == REFERENCE}
    out = []
    for row in rows:
        ref = reference.get(_pair_key(row))
        if ref is None:
            out.append(row)
            continue
        d = paired_difference(row.per_chip, ref.per_chip)
        out.append(
            replace(
                row,
                gain=d.mean if d else None,
                gain_half_width=d.half_width if d else None,
                gain_chips=d.chips if d else None,
                delta_throughput_ips=row.throughput_ips - ref.throughput_ips,
                delta_energy_per_image_j=row.energy_per_image_j - ref.energy_per_image_j,
                delta_occupied_area_mm2=row.occupied_area_mm2 - ref.occupied_area_mm2,
            )
        )
    return out


def tolerance_costs(rows: list[ToleranceRow]) -> list[ToleranceCostRow]:
    """One cost row per (model, width, placement, technique): what the technique is charged
    (the search's placement depends on the trained point, so it may give several rows)."""
    seen: dict[tuple[Any, ...], ToleranceCostRow] = {}
    for r in rows:
        key = (r.point.model, r.point.width, r.point.policy, r.tolerance, r.placement, r.cpu_moved)
        seen.setdefault(
            key,
            ToleranceCostRow(
                model=r.point.model,
                width=r.point.width,
                policy=r.point.policy,
                tolerance=r.tolerance,
                placement=r.placement,
                cpu_moved=r.cpu_moved,
                spare_columns=r.spare_columns,
                remap=r.remap,
                throughput_ips=r.throughput_ips,
                energy_per_image_j=r.energy_per_image_j,
                occupied_area_mm2=r.occupied_area_mm2,
                crossbars=r.crossbars,
                remap_table_bits=r.remap_table_bits,
                delta_throughput_ips=r.delta_throughput_ips,
                delta_energy_per_image_j=r.delta_energy_per_image_j,
                delta_occupied_area_mm2=r.delta_occupied_area_mm2,
            ),
        )
    return list(seen.values())
