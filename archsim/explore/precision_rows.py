"""The precision page's rows: each hardware variant of a sweep (`spec.Cost.references`) with
its cost and its accuracy side by side, and what a designer should read from them.

One row per variant, net and width at each Pareto rate: the standard-trained model under the
sweep's placement (recalibrated where the sweep recalibrates), its accuracy over the chips
with the 95% interval, and its accuracy change against the reference hardware paired per
chip (the same trained model on the same chips, so only the hardware differs). Derived from
stored rows once per view of the sweep (`results.derive`); the page only draws them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from archsim.explore.page_rows import main_rows, preferred_recal
from archsim.explore.records import AccuracyRow, DesignPoint, Precision, Stats
from archsim.faults.stats import paired_difference


@dataclass(frozen=True, kw_only=True)
class PrecisionRow:
    point: DesignPoint  # its standard-trained model on its hardware
    reference: bool  # the sweep's reference hardware (the others' change is against it)
    fault_rate: float
    precision: Precision | None  # what the accuracy job recorded of its hardware
    energy_per_image_j: float | None
    occupied_area_mm2: float | None
    throughput_ips: float | None
    stats: Stats
    change: float | None  # paired: this variant minus the reference, same chips
    change_half_width: float | None
    identical: bool  # the reference's accuracy on every chip, exactly


@dataclass(frozen=True, kw_only=True)
class PrecisionReading:
    """What a designer should read from one net, width and rate's rows."""

    model: str
    width: float
    fault_rate: float
    text: str


def _training(p: DesignPoint) -> tuple[str, bool, str, float, str]:
    return (p.policy, p.recalibrate, p.method, p.train_rate, p.prune)


def _standard(rows: Sequence[AccuracyRow], policy: str, recal: bool) -> list[AccuracyRow]:
    wanted = (policy, recal, "standard", 0.0, "")
    return [r for r in rows if _training(r.point) == wanted]


def _key(r: AccuracyRow | PrecisionRow) -> tuple[str, float, float]:
    """A net and width at a fault rate (the rows a variant is set beside)."""
    return (r.point.model, r.point.width, r.fault_rate)


def precision_rows(
    reference: Sequence[AccuracyRow],
    variants: Sequence[AccuracyRow],
    policy: str,
    pareto_rates: Sequence[float],
) -> list[PrecisionRow]:
    """The reference hardware's rows then each variant's, per net, width and Pareto rate;
    empty for a sweep on one hardware."""
    if not variants:
        return []
    recal = preferred_recal(main_rows(reference, policy))
    base = {_key(r): r for r in _standard(reference, policy, recal)}
    out = []
    for r in [*base.values(), *_standard(variants, policy, recal)]:
        ref = base.get(_key(r))
        if r.fault_rate not in pareto_rates or ref is None:
            continue
        diff = None if r is ref else paired_difference(r.per_chip, ref.per_chip)
        out.append(
            PrecisionRow(
                point=r.point,
                reference=r is ref,
                fault_rate=r.fault_rate,
                precision=r.precision,
                energy_per_image_j=r.energy_per_image_j,
                occupied_area_mm2=r.occupied_area_mm2,
                throughput_ips=r.throughput_ips,
                stats=r.stats,
                change=None if diff is None else diff.mean,
                change_half_width=None if diff is None else diff.half_width,
                identical=r is not ref and r.per_chip == ref.per_chip,
            )
        )
    return out


def _no_loss(row: PrecisionRow) -> bool:
    """No measurable accuracy loss against the reference: the paired interval reaches 0."""
    if row.reference or row.identical:
        return True
    return row.change is not None and row.change + (row.change_half_width or 0.0) >= 0.0


def precision_readings(rows: Sequence[PrecisionRow]) -> list[PrecisionReading]:
    """Per net, width and rate: the cheapest chip (energy per image) with no measurable
    accuracy loss against the reference, and a warning where a variant's accuracy is the
    reference's on every chip (the evaluation does not see what that variant changes)."""
    out = []
    for key in dict.fromkeys(_key(r) for r in rows):
        group = [r for r in rows if _key(r) == key]
        ref = next(r for r in group if r.reference)
        safe = [r for r in group if _no_loss(r) and r.energy_per_image_j is not None]
        pick = min(safe, key=lambda r: r.energy_per_image_j or 0.0)
        text = (
            f"{key[0]} x{key[1]:g} at fault rate {key[2]:g}: the cheapest chip without a "
            f"measurable accuracy loss against {ref.point.hardware} (paired 95% interval reaching "
            f"0) is {pick.point.hardware}"
        )
        if pick.energy_per_image_j and ref.energy_per_image_j:
            share = pick.energy_per_image_j / ref.energy_per_image_j
            text += f", at {share:.0%} of the reference's energy per image"
        text += "."
        if any(r.identical for r in group):
            text += (
                " Rows marked '=' score the reference's accuracy on every chip exactly: "
                "either their change reaches no value this network computes, or the "
                "evaluation does not model it (docs/hardware-variants.md lists what reaches "
                "the accuracy); check which before trusting the cheaper part."
            )
        out.append(PrecisionReading(model=key[0], width=key[1], fault_rate=key[2], text=text))
    return out
