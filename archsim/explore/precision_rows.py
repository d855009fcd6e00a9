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
from archsim.explore.records import AccuracyRow, Precision
from archsim.faults.stats import paired_difference


@dataclass(frozen=True, kw_only=True)
class PrecisionRow:
    hardware: str
    reference: bool  # the sweep's reference hardware (the others' change is against it)
    model: str
    width: float
    fault_rate: float
    precision: Precision | None  # what the accuracy job recorded of its hardware
    energy_per_image_j: float | None
    occupied_area_mm2: float | None
    throughput_ips: float | None
    mean: float
    ci_low: float | None
    ci_high: float | None
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


def _standard(rows: Sequence[AccuracyRow], policy: str, recal: bool) -> list[AccuracyRow]:
    mine = [r for r in rows if r.policy == policy and r.recalibrate == recal]
    return [r for r in mine if (r.method, r.train_rate, r.prune) == ("standard", 0.0, "")]


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
    base = {(r.model, r.width, r.fault_rate): r for r in _standard(reference, policy, recal)}
    out = []
    for r in [*base.values(), *_standard(variants, policy, recal)]:
        ref = base.get((r.model, r.width, r.fault_rate))
        if r.fault_rate not in pareto_rates or ref is None:
            continue
        diff = None if r is ref else paired_difference(r.per_chip, ref.per_chip)
        out.append(
            PrecisionRow(
                hardware=r.hardware,
                reference=r is ref,
                model=r.model,
                width=r.width,
                fault_rate=r.fault_rate,
                precision=r.precision,
                energy_per_image_j=r.energy_per_image_j,
                occupied_area_mm2=r.occupied_area_mm2,
                throughput_ips=r.throughput_ips,
                mean=r.mean,
                ci_low=r.ci_low,
                ci_high=r.ci_high,
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
    for key in dict.fromkeys((r.model, r.width, r.fault_rate) for r in rows):
        group = [r for r in rows if (r.model, r.width, r.fault_rate) == key]
        ref = next(r for r in group if r.reference)
        safe = [r for r in group if _no_loss(r) and r.energy_per_image_j is not None]
        pick = min(safe, key=lambda r: r.energy_per_image_j or 0.0)
        text = (
            f"{key[0]} x{key[1]:g} at fault rate {key[2]:g}: the cheapest chip without a "
            f"measurable accuracy loss against {ref.hardware} (paired 95% interval reaching "
            f"0) is {pick.hardware}"
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
