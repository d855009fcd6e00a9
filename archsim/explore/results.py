"""Tables of a sweep, joined from its expansion and the results store: what the CSV files and
the PDF report show. Jobs missing from the store (an unfinished sweep) are left out and
counted, never invented."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from archsim.errors import UserError
from archsim.explore.expand import expand
from archsim.explore.expansion import DatasetShape, Evaluation, Expansion
from archsim.explore.pareto import OBJECTIVES, pareto_front
from archsim.explore.spec import SweepSpec, spec_from_dict
from archsim.explore.store import ResultsStore
from archsim.explore.tolerance_rows import tolerance_costs, tolerance_rows

ACCURACY_STATS = (
    "mean",
    "std",
    "ci_low",
    "ci_high",
    "p5",
    "p50",
    "p95",
    "yield",
    "chips",
    "float_acc",
    "quant_acc",
    "realised_fraction",
    "bn_set",
)
COST_FIELDS = (
    "throughput_ips",
    "latency_s",
    "energy_per_image_j",
    "static_energy_j",
    "images_per_j",
    "occupied_area_mm2",
    "provisioned_area_mm2",
    "budget_chips",
    "budget_tiles",
    "bottleneck",
)
MAP_FIELDS = (
    "crossbars",
    "imas",
    "tiles",
    "chips",
    "utilization",
    "rram_macs",
    "cpu_macs",
    "total_macs",
    "rram_layers",
    "cpu_layers",
)


@dataclass(frozen=True)
class SweepData:
    """Everything the report needs, read from one store."""

    spec: SweepSpec
    datasets: dict[str, DatasetShape]
    accuracy: list[dict[str, Any]]
    costs: list[dict[str, Any]]
    trainings: list[dict[str, Any]]
    pareto: list[dict[str, Any]]
    sweeps: list[dict[str, Any]]
    meta: dict[str, str]
    store: str
    jobs_total: int
    missing: dict[str, int] = field(default_factory=dict)
    fault_models: list[dict[str, Any]] = field(default_factory=list)  # faults.compare_models
    tolerance: list[dict[str, Any]] = field(default_factory=list)  # the `tolerance` axis
    tolerance_costs: list[dict[str, Any]] = field(default_factory=list)  # charged, per technique


def sweep_record(
    spec: SweepSpec, datasets: dict[str, DatasetShape], hardware_digest: str
) -> dict[str, Any]:
    """What a sweep stores about itself: the spec and what its names resolved to, so its job
    graph (and keys) can be rebuilt from the store alone."""
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
        "hardware_digest": hardware_digest,
    }


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


def accuracy_rows(
    expansion: Expansion,
    results: dict[str, dict[str, Any]],
    evaluations: list[Evaluation] | None = None,
) -> list[dict[str, Any]]:
    rows = []
    for ev in expansion.evaluations if evaluations is None else evaluations:
        acc, cost = results.get(ev.key), results.get(ev.cost_key)
        if acc is None:
            continue
        row = {**ev.point, "fault_rate": ev.fault_rate}
        row.update({name: acc.get(name) for name in ACCURACY_STATS})
        row["per_chip"] = acc.get("per_chip", [])  # chip i is the same chip for every model
        row.update({name: (cost or {}).get(name) for name in COST_FIELDS})
        train = results.get(ev.train_key) or {}
        row["clean_acc"] = train.get("clean_acc")
        row["evaluate_key"], row["train_key"] = ev.key, ev.train_key
        rows.append(row)
    return rows


def cost_rows(expansion: Expansion, results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for c in expansion.costs:
        sim, mapping = results.get(c.key), results.get(c.map_key)
        if sim is None or mapping is None:
            continue
        row: dict[str, Any] = {
            "model": c.model,
            "net": c.net,
            "width": c.width,
            "policy": c.policy,
            "estimator": c.estimator,
            "paper_setting": c.paper,
        }
        row.update({name: sim.get(name) for name in COST_FIELDS})
        row.update({name: mapping.get(name) for name in MAP_FIELDS})
        row["images"] = sim.get("images")
        row["time_for_images_s"] = sim.get("time_for_images_s")
        row["energy_breakdown_j"] = sim.get("energy_breakdown_j", {})
        row["layers"] = mapping.get("layers", [])
        rows.append(row)
    return rows


def training_rows(expansion: Expansion, results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    rows, seen = [], set()
    for t in expansion.trainings:
        result = results.get(t.key)
        if result is None or t.key in seen:
            continue
        seen.add(t.key)
        rows.append(
            {
                **t.point,
                "clean_acc": result.get("clean_acc"),
                "curves": result.get("curves", {}),
                "train_key": t.key,
            }
        )
    return rows


def pareto_rows(
    spec: SweepSpec, accuracy: list[dict[str, Any]], tolerance: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Per Pareto fault rate: every design point (and every point of the `tolerance` axis,
    `tolerance` naming its technique) with its objectives and `on_front`; each tolerance row
    is flagged `on_front` too, for the tolerance page."""
    out: list[dict[str, Any]] = []
    metric = spec.pareto.metric
    for rate in spec.pareto_rates:
        sources = [
            r
            for r in [*accuracy, *(tolerance or [])]
            if r["fault_rate"] == rate
            and r.get(metric) is not None
            and r.get("throughput_ips") is not None
        ]
        points = pareto_front(
            [
                {
                    "fault_rate": rate,
                    "model": r["model"],
                    "width": r["width"],
                    "method": r["method"],
                    "train_rate": r["train_rate"],
                    "prune": r["prune"],
                    "recalibrate": r["recalibrate"],
                    "policy": r["policy"],
                    "tolerance": r.get("tolerance", ""),
                    "metric": metric,
                    "accuracy": r[metric],
                    **{name: r[name] for name, _ in OBJECTIVES[1:]},
                }
                for r in sources
            ]
        )
        for source, point in zip(sources, points, strict=True):
            if source.get("tolerance"):
                source["on_front"] = point["on_front"]
        out.extend(points)
    return out


def load_sweep(store: ResultsStore) -> SweepData:
    record = store.latest_spec()
    spec = spec_from_dict(record["spec"], f"spec stored in {store.path}")
    try:
        datasets = _datasets(record)
    except (KeyError, TypeError, ValueError):
        raise UserError(
            f"results store {store.path}: the latest sweep's record is corrupt"
        ) from None
    expansion = expand(spec, datasets, str(record.get("hardware_digest", "")))
    results = {job.key: job.result for job in store.jobs()}
    wanted = {job.key: job.kind for job in expansion.jobs}
    missing = Counter(kind for key, kind in wanted.items() if key not in results)
    accuracy = accuracy_rows(expansion, results)
    tolerance = tolerance_rows(expansion, results)
    return SweepData(
        spec=spec,
        datasets=datasets,
        accuracy=accuracy,
        costs=cost_rows(expansion, results),
        trainings=training_rows(expansion, results),
        pareto=pareto_rows(spec, accuracy, tolerance),
        sweeps=store.sweeps(),
        meta=store.meta(),
        store=str(store.path),
        jobs_total=len(wanted),
        missing=dict(missing),
        fault_models=accuracy_rows(expansion, results, expansion.fault_model_evaluations),
        tolerance=tolerance,
        tolerance_costs=tolerance_costs(tolerance),
    )


def one_training_seed(data: SweepData) -> tuple[SweepData, int | None]:
    """`data` restricted to the sweep's first training seed, and that seed (None when the
    sweep trains once). Pages that key rows by model, method and rate show one training; the
    findings page, which averages over seeds, reads the full data."""
    seeds = data.spec.train_seeds
    if len(seeds) < 2:
        return data, None
    seed = seeds[0]

    def keep(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in rows if r.get("train_seed", seed) == seed]

    accuracy, tolerance = keep(data.accuracy), keep(data.tolerance)
    view = replace(
        data,
        accuracy=accuracy,
        trainings=keep(data.trainings),
        pareto=pareto_rows(data.spec, accuracy, tolerance),
        fault_models=keep(data.fault_models),
        tolerance=tolerance,
        tolerance_costs=tolerance_costs(tolerance),
    )
    return view, seed
