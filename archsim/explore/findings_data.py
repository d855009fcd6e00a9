"""Look-ups the findings need in a sweep's stored rows: one evaluated model (`Arm`), its
per-chip accuracies per training seed, the best drop rate, the cost of widening, the per-epoch
validation curves. Nothing here is computed that the store does not hold."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from archsim.explore.expansion import DatasetShape
from archsim.explore.records import AccuracyRow, CostRow, TrainingRow
from archsim.explore.spec import SweepSpec

TRAINED = ("model", "width", "method", "train_rate", "prune", "recalibrate", "policy")


class SweepRows(Protocol):
    """What the findings read of a sweep: its spec and stored rows (`results.SweepData` is
    one; a protocol, so the findings need not import the module that computes them)."""

    @property
    def spec(self) -> SweepSpec: ...
    @property
    def datasets(self) -> Mapping[str, DatasetShape]: ...
    @property
    def accuracy(self) -> Sequence[AccuracyRow]: ...
    @property
    def fault_models(self) -> Sequence[AccuracyRow]: ...
    @property
    def trainings(self) -> Sequence[TrainingRow]: ...
    @property
    def costs(self) -> Sequence[CostRow]: ...


@dataclass(frozen=True)
class Arm:
    """One evaluated model at one fault rate (every training seed of it)."""

    model: str
    width: float
    method: str
    train_rate: float
    prune: str
    recalibrate: bool
    policy: str
    fault_rate: float

    def replace(self, **changes: Any) -> Arm:
        return replace(self, **changes)

    def at(self, rate: float) -> Arm:
        return replace(self, fault_rate=rate)

    def key(self) -> tuple[Any, ...]:
        """What selects this arm's rows (`row_key`)."""
        return (*(getattr(self, k) for k in TRAINED), self.fault_rate)


def row_key(row: AccuracyRow) -> tuple[Any, ...]:
    """The arm `row` belongs to (`Arm.key`)."""
    return (*(getattr(row.point, k) for k in TRAINED), row.fault_rate)


class Context:
    """A sweep's rows indexed for the findings (see `findings.py` for the choices made)."""

    def __init__(self, data: SweepRows) -> None:
        self.data, self.spec = data, data.spec
        spec = self.spec
        self.main_policy = spec.cost.policy
        self.policies = [self.main_policy, *spec.cost.compare_policies]
        self.fault_rates = [r for r in spec.faults.rates if r > 0]
        self.top_rate = max(spec.faults.rates)
        self.pareto_rate = max(spec.pareto_rates)
        low = [r for r in self.fault_rates if r <= 0.02]
        self.low_rate: float | None = max(low) if low else None
        self.top_sft_rate: float | None = max(spec.training.sft_rates, default=None)
        recal = spec.training.recalibrate
        self.baseline_recal = False not in recal  # the raw baseline when it was run
        self.dc_recal = True in recal
        self.model0, self.width0 = spec.models[0].name, min(spec.widths)
        self._index = self._by(data.accuracy, row_key)
        self._models = self._by(data.fault_models, lambda r: (r.fault_model, *row_key(r)))

    def _by(
        self, rows: Sequence[AccuracyRow], key: Callable[[AccuracyRow], tuple[Any, ...]]
    ) -> dict[tuple[Any, ...], dict[int, np.ndarray]]:
        index: dict[tuple[Any, ...], dict[int, np.ndarray]] = {}
        for row in rows:
            chips = np.asarray(row.per_chip, dtype=np.float64)
            index.setdefault(key(row), {})[row.point.train_seed] = chips
        return index

    def pure_fault_models(self) -> tuple[str | None, str | None]:
        """The sweep's per-weight stuck-off-only and stuck-on-only fault models, if any."""
        from archsim.faults.mechanisms import mechanism_of
        from archsim.faults.presets import get_fault_model

        names = [self.spec.faults.model, *self.spec.faults.compare_models]
        pure = [m for m in map(get_fault_model, names) if mechanism_of(m).kind == "weight"]
        off = next((m.name for m in pure if m.p_on == 0), None)
        on = next((m.name for m in pure if m.p_on == 1), None)
        return off, on

    def under(self, fault_model: str, fault_rate: float) -> dict[int, np.ndarray]:
        """The raw standard model's per-chip accuracies under `fault_model`."""
        arm = Arm(
            self.model0, self.width0, "standard", 0.0, "", False, self.main_policy, fault_rate
        )
        if fault_model == self.spec.faults.model:
            return self.series(arm)
        return self._models.get((fault_model, *arm.key()), {})

    def series(self, arm: Arm) -> dict[int, np.ndarray]:
        """Training seed -> chip i's accuracy (%), for the rows `arm` names."""
        return self._index.get(arm.key(), {})

    def mean(self, arm: Arm) -> float | None:
        s = self.series(arm)
        return float(np.mean([v.mean() for v in s.values()])) if s else None

    def loss(self, arm: Arm) -> float | None:
        """Mean fault-free accuracy minus mean accuracy at `arm`'s fault rate."""
        clean, faulty = self.mean(arm.at(0.0)), self.mean(arm)
        return None if clean is None or faulty is None else clean - faulty

    def combine(self, a: Arm, b: Arm) -> dict[int, np.ndarray]:
        """Chip by chip a + b, per common training seed."""
        sa, sb = self.series(a), self.series(b)
        out = {}
        for seed in set(sa) & set(sb):
            n = min(len(sa[seed]), len(sb[seed]))
            out[seed] = sa[seed][:n] + sb[seed][:n]
        return out

    def _arm(
        self,
        method: str,
        rate: float,
        fault_rate: float,
        recal: bool,
        model: str | None = None,
        prune: str = "",
    ) -> Arm | None:
        arm = Arm(
            model or self.model0,
            self.width0,
            method,
            rate,
            prune,
            recal,
            self.main_policy,
            fault_rate,
        )
        return arm if self.series(arm) else None

    def standard(self, fault_rate: float, recal: bool, model: str | None = None) -> Arm | None:
        return self._arm("standard", 0.0, fault_rate, recal, model)

    def best_dropconnect(
        self,
        fault_rate: float,
        accept: Callable[[float], bool] = bool,
        with_standard: bool = False,
        recal: bool | None = None,
        model: str | None = None,
    ) -> Arm | None:
        """The drop rate `accept`ed with the highest mean accuracy at `fault_rate` (the
        standard model counts as rate 0 when `with_standard`)."""
        recal = self.dc_recal if recal is None else recal
        arms = [
            self._arm("dropconnect", p, fault_rate, recal, model)
            for p in self.spec.training.dropconnect_rates
            if p > 0 and accept(p)
        ]
        if with_standard and accept(0.0):
            arms.append(self.standard(fault_rate, recal, model))
        found = [a for a in arms if a is not None]
        return max(found, key=lambda a: self.mean(a) or 0.0) if found else None

    def sft_model(self, method: str, rate: float | None, fault_rate: float | None) -> Arm | None:
        if rate is None or fault_rate is None:
            return None
        return self._arm(method, rate, fault_rate, self.baseline_recal)

    def recal_text(self, arm: Arm | None) -> str:
        if arm is None:
            return ""
        return " (recalibrated)" if arm.recalibrate else " (no recalibration)"

    def model_of(self, net: str) -> str | None:
        return next((m.name for m in self.spec.models if m.net == net), None)

    def model_with(self, option: str, value: Any) -> str | None:
        return next(
            (
                m.name
                for m in self.spec.models
                if m.net == "resnet20"
                and str(self.data.datasets[m.name].options.get(option)) == value
            ),
            None,
        )

    @property
    def input_text(self) -> str:
        shape = self.data.datasets[self.model0]
        size = "x".join(map(str, shape.input_shape))
        return f"{size} padded" if shape.pad_to else f"{size} as stored"

    def cost_ratio(self, narrow: float, wide: float) -> str:
        rows = {
            r.width: r
            for r in self.data.costs
            if r.model == self.model0 and r.policy == self.main_policy and not r.paper_setting
        }
        a, b = rows.get(narrow), rows.get(wide)
        if not (a and b and a.throughput_ips and a.energy_per_image_j):
            return ""
        return (
            f"throughput x{b.throughput_ips / a.throughput_ips:.2f}, energy per "
            f"image x{b.energy_per_image_j / a.energy_per_image_j:.2f} "
            f"({a.estimator})"
        )

    def epoch_steps(self) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray], str] | None:
        """Per training seed, |epoch-to-epoch change| of the faulty-chip validation accuracy
        of each drop-connect run and of the standard run of the same net (concatenated over
        nets): the two lists pair step by step."""
        points = [r.point for r in self.data.trainings]
        runs = {
            (p.model, p.method, p.train_rate, p.prune, p.train_seed): r
            for p, r in zip(points, self.data.trainings, strict=True)
            if p.width == self.width0
        }
        first: dict[int, list[float]] = {}
        second: dict[int, list[float]] = {}
        rates = set()
        for (model, method, p, prune, seed), dc in runs.items():
            std = runs.get((model, "standard", 0.0, "", seed))
            if method != "dropconnect" or prune or std is None:
                continue
            a, b = dc.curves, std.curves
            va, vb = a.val_fault_acc, b.val_fault_acc
            n = min(len(va), len(vb))
            if n < 3 or a.val_fault_rate is None or a.val_fault_rate != b.val_fault_rate:
                continue
            rates.add((p, a.val_fault_rate))
            first.setdefault(seed, []).extend(np.abs(np.diff(va[:n])))
            second.setdefault(seed, []).extend(np.abs(np.diff(vb[:n])))
        if not first:
            return None
        ps = ", ".join(f"{p:g}" for p, _ in sorted(rates))
        at = ", ".join(f"{r:g}" for r in sorted({r for _, r in rates}))
        text = (
            f"mean |epoch-to-epoch change| of the faulty-chip validation accuracy: "
            f"drop-connect (p={ps}) - standard, chips at {at}"
        )
        return (
            {s: np.asarray(v) for s, v in first.items()},
            {s: np.asarray(v) for s, v in second.items()},
            text,
        )
