"""Tables of a sweep, joined from its expansion and the results store: what the CSV files and
the PDF report show, as typed rows (`records`) built once here. Jobs missing from the store
(an unfinished sweep) are left out and counted, never invented."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from archsim.errors import UserError
from archsim.explore.answer import Answer, answer
from archsim.explore.codec import FormatError, decode_record
from archsim.explore.expand import expand
from archsim.explore.expansion import Cost, DatasetShape, Evaluation, Expansion
from archsim.explore.finding import Finding
from archsim.explore.findings import findings
from archsim.explore.page_rows import (
    BestRateRow,
    PolicyAccuracyRow,
    StabilityRow,
    Table2Row,
    best_rate_rows,
    policy_accuracy_rows,
    stability_rows,
    table2_rows,
)
from archsim.explore.pareto_table import pareto_rows
from archsim.explore.precision_rows import (
    PrecisionReading,
    PrecisionRow,
    precision_readings,
    precision_rows,
)
from archsim.explore.records import (
    AccuracyRow,
    CostRow,
    Curves,
    DesignPoint,
    ParetoRow,
    Precision,
    Stats,
    SweepRun,
    TrainingRow,
)
from archsim.explore.spec import SweepSpec, spec_from_dict
from archsim.explore.store import ResultsStore
from archsim.explore.tolerance_rows import (
    ToleranceCostRow,
    ToleranceRow,
    tolerance_costs,
    tolerance_rows,
)
from archsim.perf.paper import TABLE_II_SOURCE


@dataclass(frozen=True, kw_only=True)
class SweepData:
    """Everything the report needs, read from one store: the stored rows, and the rows the
    pages show that are derived from them (`derive`)."""

    spec: SweepSpec
    datasets: dict[str, DatasetShape]
    # the hardware variants by their one name, the reference first (`resolve.hardware_digests`)
    hardware: list[str] = field(default_factory=list)
    accuracy: list[AccuracyRow] = field(default_factory=list)
    costs: list[CostRow] = field(default_factory=list)
    trainings: list[TrainingRow] = field(default_factory=list)
    sweeps: list[SweepRun] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    store: str = ""
    jobs_total: int = 0
    missing: dict[str, int] = field(default_factory=dict)
    fault_models: list[AccuracyRow] = field(default_factory=list)  # faults.compare_models
    tolerance: list[ToleranceRow] = field(default_factory=list)  # the `tolerance` axis
    # the hardware variants after the reference (`spec.Cost.references`); the pages keyed by
    # model, method and rate read the reference's rows above, these join the Pareto front and
    # the precision page
    variants: list[AccuracyRow] = field(default_factory=list)
    variant_costs: list[CostRow] = field(default_factory=list)
    # derived from the rows above (`derive`)
    pareto: list[ParetoRow] = field(default_factory=list)
    tolerance_costs: list[ToleranceCostRow] = field(default_factory=list)  # per technique
    stability: list[StabilityRow] | None = None  # None: no clean and faulty rates to score
    table2: list[Table2Row] = field(default_factory=list)
    table2_source: str = TABLE_II_SOURCE
    best_rates: list[BestRateRow] = field(default_factory=list)
    policy_accuracy: list[PolicyAccuracyRow] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # over every training seed
    precision: list[PrecisionRow] = field(default_factory=list)  # per hardware variant
    precision_readings: list[PrecisionReading] = field(default_factory=list)
    answer: Answer | None = None  # the answer page, over every training seed

    @property
    def policies(self) -> list[str]:
        """The placements the sweep costed (outside the paper's setting), in costing order."""
        return list(dict.fromkeys(c.policy for c in self.costs if not c.paper_setting))


def sweep_record(
    spec: SweepSpec, datasets: dict[str, DatasetShape], hardware: dict[str, str]
) -> dict[str, Any]:
    """What a sweep stores about itself: the spec and what its names resolved to (each
    hardware variant's name and digest, the reference first), so its job graph (and keys) can
    be rebuilt from the store alone."""
    return {
        "spec": spec.model_dump(mode="json"),
        "datasets": {
            k: {
                "name": v.name,
                "input_shape": list(v.input_shape),
                "num_classes": v.num_classes,
                "options": v.options,
                "identity": v.identity,
                "card": v.card,
                "pad_to": v.pad_to,
            }
            for k, v in datasets.items()
        },
        "hardware_digest": next(iter(hardware.values())),
        # pairs, not a mapping: the stored JSON sorts keys, and the reference must stay first
        "hardware_variants": [[name, digest] for name, digest in hardware.items()],
    }


def _hardware(record: dict[str, Any], spec: SweepSpec) -> dict[str, str]:
    """The stored variants; a store written before hardware axes holds one digest."""
    variants = record.get("hardware_variants")
    if isinstance(variants, list) and variants:
        return {str(name): str(digest) for name, digest in variants}
    return {spec.cost.names[0]: str(record.get("hardware_digest", ""))}


def _datasets(record: dict[str, Any]) -> dict[str, DatasetShape]:
    return {
        k: DatasetShape(
            v["name"],
            tuple(v["input_shape"]),
            v["num_classes"],
            v["options"],
            v.get("identity", ""),
            v.get("card", ""),
            v.get("pad_to"),
        )
        for k, v in record["datasets"].items()
    }


Results = dict[str, dict[str, Any]]  # job key -> its stored result


def accuracy_rows(
    expansion: Expansion, results: Results, evaluations: list[Evaluation] | None = None
) -> list[AccuracyRow]:
    rows = []
    for ev in expansion.evaluations if evaluations is None else evaluations:
        acc, cost = results.get(ev.key), results.get(ev.cost_key) or {}
        if acc is None:
            continue
        p = ev.point
        rows.append(
            AccuracyRow(
                point=DesignPoint.stored(p),
                fault_model=p.get("fault_model", ""),
                fault_rate=ev.fault_rate,
                stats=Stats.stored(acc),
                chips=acc["chips"],
                float_acc=acc.get("float_acc"),
                quant_acc=acc.get("quant_acc"),
                realised_fraction=acc.get("realised_fraction"),
                bn_set=acc.get("bn_set"),
                per_chip=tuple(acc.get("per_chip", [])),
                precision=Precision.from_result(acc.get("hardware")),
                throughput_ips=cost.get("throughput_ips"),
                latency_s=cost.get("latency_s"),
                energy_per_image_j=cost.get("energy_per_image_j"),
                dynamic_energy_j=cost.get("dynamic_energy_j"),
                static_energy_j=cost.get("static_energy_j"),
                images_per_j=cost.get("images_per_j"),
                occupied_area_mm2=cost.get("occupied_area_mm2"),
                provisioned_area_mm2=cost.get("provisioned_area_mm2"),
                budget_chips=cost.get("budget_chips"),
                budget_tiles=cost.get("budget_tiles"),
                bottleneck=cost.get("bottleneck"),
                clean_acc=(results.get(ev.train_key) or {}).get("clean_acc"),
                evaluate_key=ev.key,
                train_key=ev.train_key,
            )
        )
    return rows


def cost_rows(
    expansion: Expansion, results: Results, costs: list[Cost] | None = None
) -> list[CostRow]:
    """Each costed net, width and placement: its map and simulate jobs' stored results read as
    a row (a value a store written before it was kept reads as None)."""
    rows = []
    for c in expansion.costs if costs is None else costs:
        sim, mapping = results.get(c.key), results.get(c.map_key)
        if sim is None or mapping is None:
            continue
        point = {"model": c.model, "hardware": c.hardware, "net": c.net, "width": c.width}
        costed = {"policy": c.policy, "estimator": c.estimator, "paper_setting": c.paper}
        stored = {**sim, **mapping, **point, **costed}
        rows.append(decode_record(CostRow, stored, c.key, extra=True))
    return rows


def training_rows(expansion: Expansion, results: Results) -> list[TrainingRow]:
    rows, seen = [], set()
    for t in expansion.trainings:
        result = results.get(t.key)
        if result is None or t.key in seen:
            continue
        seen.add(t.key)
        rows.append(
            TrainingRow(
                point=DesignPoint.stored(t.point),
                clean_acc=result.get("clean_acc"),
                curves=Curves.from_result(result.get("curves", {})),
                train_key=t.key,
            )
        )
    return rows


def derive(data: SweepData) -> SweepData:
    """`data` with the rows its pages show computed from its stored rows: the Pareto front
    (tolerance rows flagged), each technique's charged cost, the Stability Scores, Table II
    beside the paper, the best drop rates, the placements' paired accuracy differences and
    the papers' findings (`explore.findings`), and the answer page (`explore.answer`)."""
    rows, found = _page_rows(data), findings(data)
    spec = data.spec
    return replace(
        rows,
        findings=found,
        answer=answer(rows.pareto, spec.pareto_rates, spec.faults.threshold, found),
    )


def _page_rows(data: SweepData) -> SweepData:
    """`data` with every derived row but the findings computed (`derive`)."""
    pareto, tolerance = pareto_rows(data.spec, [*data.accuracy, *data.variants], data.tolerance)
    policy = data.spec.cost.policy
    precision = precision_rows(data.accuracy, data.variants, policy, data.spec.pareto_rates)
    return replace(
        data,
        precision=precision,
        precision_readings=precision_readings(precision),
        pareto=pareto,
        tolerance=tolerance,
        tolerance_costs=tolerance_costs(tolerance),
        stability=stability_rows(data.accuracy, policy, data.spec.pareto_rates),
        table2=table2_rows(data.costs, policy),
        best_rates=best_rate_rows(data.accuracy, policy),
        policy_accuracy=policy_accuracy_rows(data.accuracy, data.policies, data.spec.pareto_rates),
    )


def load_sweep(store: ResultsStore) -> SweepData:
    record = store.latest_spec()
    spec = spec_from_dict(record["spec"], f"spec stored in {store.path}")
    try:
        datasets = _datasets(record)
    except (KeyError, TypeError, ValueError):
        raise UserError(
            f"results store {store.path}: the latest sweep's record is corrupt"
        ) from None
    hardware = _hardware(record, spec)
    try:
        data = _stored_rows(store, spec, datasets, hardware)
    except FormatError as exc:
        raise UserError(f"results store {store.path}: a stored result is damaged: {exc}") from None
    return derive(data)


def _stored_rows(
    store: ResultsStore,
    spec: SweepSpec,
    datasets: dict[str, DatasetShape],
    hardware: dict[str, str],
) -> SweepData:
    """The sweep's stored rows, each read through the codec (`FormatError` on a damaged one)."""
    expansion = expand(spec, datasets, hardware)
    results = {job.key: job.result for job in store.jobs()}
    wanted = {job.key: job.kind for job in expansion.jobs}
    missing = Counter(kind for key, kind in wanted.items() if key not in results)
    return SweepData(
        spec=spec,
        datasets=datasets,
        hardware=list(hardware),
        accuracy=accuracy_rows(expansion, results),
        costs=cost_rows(expansion, results),
        trainings=training_rows(expansion, results),
        sweeps=[SweepRun.from_store(row) for row in store.sweeps()],
        meta=store.meta(),
        store=str(store.path),
        jobs_total=len(wanted),
        missing=dict(missing),
        fault_models=accuracy_rows(expansion, results, expansion.fault_model_evaluations),
        tolerance=tolerance_rows(expansion, results),
        variants=accuracy_rows(expansion, results, expansion.variant_evaluations),
        variant_costs=cost_rows(expansion, results, expansion.variant_costs),
    )


def one_training_seed(data: SweepData) -> tuple[SweepData, int | None]:
    """`data` restricted to the sweep's first training seed, and that seed (None when the
    sweep trains once). Pages that key rows by model, method and rate show one training; the
    findings, which average over seeds, are kept as computed on the full data."""
    seeds = data.spec.train_seeds
    if len(seeds) < 2:
        return data, None
    seed = seeds[0]
    view = replace(
        data,
        accuracy=[r for r in data.accuracy if r.point.train_seed == seed],
        trainings=[r for r in data.trainings if r.point.train_seed == seed],
        fault_models=[r for r in data.fault_models if r.point.train_seed == seed],
        tolerance=[r for r in data.tolerance if r.point.train_seed == seed],
        variants=[r for r in data.variants if r.point.train_seed == seed],
    )
    return _page_rows(view), seed
