"""Stability Score and accuracy-vs-fault-rate tables.

Stability Score (stochastic fault-tolerant training paper, eq. 1):
    SS(P_sa) = Acc_retrain / (Acc_pretrain - Acc_defect(P_sa)).
When the defect accuracy is not below the pretrained accuracy there is no degradation to
divide by: the model is perfectly stable at that rate and SS is +inf (never a division error).
"""

import math
from collections.abc import Mapping, Sequence
from typing import Any

from archsim.faults.montecarlo import AccuracyResult


def stability_score(acc_retrain: float, acc_pretrain: float, acc_defect: float) -> float:
    """SS = Acc_retrain / (Acc_pretrain - Acc_defect); +inf when nothing was lost."""
    drop = acc_pretrain - acc_defect
    if drop <= 0:
        return math.inf
    return acc_retrain / drop


def stability_interval(
    acc_retrain: float, acc_pretrain: float, defect_low: float, defect_high: float
) -> tuple[float, float]:
    """The 95% interval of SS from that of Acc_defect (the only figure that varies between
    chips: Acc_retrain and Acc_pretrain are fault-free). SS grows with Acc_defect, so the
    interval's ends map to SS's ends."""
    return (
        stability_score(acc_retrain, acc_pretrain, defect_low),
        stability_score(acc_retrain, acc_pretrain, defect_high),
    )


def accuracy_vs_rate(curves: Mapping[str, Sequence[AccuracyResult]]) -> list[dict[str, Any]]:
    """One row per fault rate, one column of mean accuracy per labelled model (Table I style)."""
    rates = sorted({r.rate for results in curves.values() for r in results if r.rate is not None})
    rows = []
    for rate in rates:
        row: dict[str, Any] = {"rate": rate}
        for label, results in curves.items():
            match = [r.summary.mean for r in results if r.rate == rate]
            row[label] = match[0] if match else None
        rows.append(row)
    return rows


def stability_table(
    acc_pretrain: float, retrained: Mapping[str, tuple[float, Sequence[AccuracyResult]]]
) -> list[dict[str, Any]]:
    """Per model `label: (Acc_retrain, results)`: its defect accuracy and SS at each rate."""
    rows = []
    for label, (acc_retrain, results) in retrained.items():
        row: dict[str, Any] = {
            "model": label,
            "acc_pretrain": acc_pretrain,
            "acc_retrain": acc_retrain,
        }
        for r in sorted(results, key=lambda r: r.rate or 0.0):
            row[f"acc_defect@{r.rate}"] = r.summary.mean
            row[f"ss@{r.rate}"] = stability_score(acc_retrain, acc_pretrain, r.summary.mean)
        rows.append(row)
    return rows
