"""A tolerance study: techniques (and the placement search's family) on one or more
checkpoints, every one on the same chips and images, as the records the report pages read
(`ft_records`; `ft_records.to_json` gives the stored form).

Placements a technique may name: `all-rram`, `cpu-1x1`, `cpu-1x1-ends` (the mapping
policies) and, given a vulnerability table, `search-0` ... `search-K` (`ft_placement`). The
first technique is the reference every gain is paired against. Two checkpoints of the same net
(e.g. standard and drop-connect trained) have the same layers, so they meet the same chips too:
a later run's technique is paired with the first run's (`vs_first_run`). Every row is flagged
`on_front`: no other row of the study has at least its accuracy, throughput, and at most its
energy and area, with one strictly better (`explore.pareto`).
"""

from dataclasses import dataclass, replace

from archsim.errors import UserError
from archsim.explore.ft_placement import choose, search_family
from archsim.explore.ft_records import (
    Difference,
    PlacementSearch,
    TechniqueRow,
    ToleranceRun,
    ToleranceStudy,
    VulnerabilityStudy,
)
from archsim.explore.ft_study import Study, load_study
from archsim.explore.ft_techniques import parse_technique, run_technique
from archsim.explore.pareto import OBJECTIVES, non_dominated, over_budget
from archsim.faults.models import FaultModel
from archsim.faults.sequential import Design
from archsim.faults.stats import paired_difference
from archsim.mapping.policy import POLICIES

RULE = (
    "layers with a positive single-layer loss, by decreasing loss per joule of their "
    "own CPU move, nested prefixes; verified by Monte-Carlo on the same chips"
)


@dataclass(frozen=True)
class StudyPlan:
    techniques: tuple[str, ...]
    placement: str = "cpu-1x1"  # the placement of a technique named without one
    search_steps: int = 0  # search-1 .. search-N evaluated as placements with no technique
    energy_budget_j: float | None = None
    min_throughput_ips: float | None = None


def check_table(table: VulnerabilityStudy, fault_model: FaultModel, rate: float) -> None:
    if table.setting.fault_model != fault_model.name or float(table.setting.rate) != rate:
        raise UserError(
            f"the vulnerability table is for {table.setting.fault_model} at rate "
            f"{table.setting.rate}, not {fault_model.name} at {rate}"
        )


def _budget_words(plan: StudyPlan) -> str:
    """The search's budget as a reader reads it: "2 uJ/image and >= 500 img/s"."""
    parts = (
        plan.energy_budget_j and f"{plan.energy_budget_j * 1e6:g} uJ/image",
        plan.min_throughput_ips and f">= {plan.min_throughput_ips:g} img/s",
    )
    return " and ".join(text for text in parts if text) or "no budget"


def run_study(
    label: str,
    study: Study,
    plan: StudyPlan,
    fault_model: FaultModel,
    rate: float,
    chips: int,
    seed: int,
    table: VulnerabilityStudy | None,
    batch_size: int = 256,
    progress: bool = False,
) -> ToleranceRun:
    """One checkpoint's rows: every technique of `plan` (and the search's placements)."""
    placements: dict[str, tuple[str, tuple[str, ...]]] = {name: (name, ()) for name in POLICIES}
    names = list(plan.techniques)
    search: PlacementSearch | None = None
    if table is not None:
        check_table(table, fault_model, rate)
        family = search_family(study, table, None)
        placements.update({c.label: ("all-rram", c.overrides) for c in family})
        chosen = choose(family, plan.energy_budget_j, plan.min_throughput_ips)
        steps = [c.label for c in family[1 : plan.search_steps + 1]]
        names = list(dict.fromkeys([*names, *(f"{s}:none" for s in (*steps, chosen.label))]))
        search = PlacementSearch(
            rule=RULE,
            chosen=chosen.label,
            budget=_budget_words(plan),
            family=tuple(c.record() for c in family),
            table=table.checkpoint,
        )
    techniques = [parse_technique(n, placements, plan.placement) for n in names]
    if len({t.name for t in techniques}) != len(techniques):
        raise UserError("a technique is listed twice")
    plain = parse_technique("none", placements, plan.placement)  # what the plain rule serves
    results = [
        run_technique(study, t, fault_model, rate, chips, seed, batch_size, progress, plain)
        for t in techniques
    ]
    asked = {parse_technique(n, placements, plan.placement).name for n in plan.techniques}
    why = {} if search is None else added_rows(search, plan.search_steps)
    return ToleranceRun(
        label=label,
        checkpoint=str(study.path),
        reference=techniques[0].name,
        rows=tuple(
            replace(r.record(results[0]), why=None if t.name in asked else why.get(t.name))
            for t, r in zip(techniques, results, strict=True)
        ),
        search=search,
    )


def _on_cpu(layers: list[str]) -> str:
    """The layers a placement moves to the CPU, named while there are few."""
    if not layers:
        return "no layer on the CPU"
    if len(layers) <= 3:
        return f"{', '.join(layers)} on the CPU"
    return f"{len(layers)} layers on the CPU"


def added_rows(search: PlacementSearch, steps: int) -> dict[str, str]:
    """Why the study added each placement nobody listed in `--technique`, by row name."""
    layers = {c.placement: _on_cpu(c.cpu_layers.split()) for c in search.family}
    why = {
        f"search-{k}:none": f"--search-steps {steps}: step {k} of the placement search "
        f"({layers[f'search-{k}']})"
        for k in range(1, min(steps, len(search.family) - 1) + 1)
    }
    chosen = f"{search.chosen}:none"
    pick = (
        f"the placement search's choice under {search.budget}: the longest prefix of layers "
        f"ranked by loss per joule that fits ({layers[search.chosen]})"
    )
    why[chosen] = f"{why[chosen]}; {pick}" if chosen in why else pick
    return why


def mark_front(runs: list[ToleranceRun]) -> list[ToleranceRun]:
    """`runs` with each row flagged `on_front` over every run's rows (accuracy = the mean
    over chips) and, for runs after the first, each technique paired with the first run's
    same technique."""
    rows = [r for run in runs for r in run.rows]
    within = [r for r in rows if not over_budget(r.occupied_area_mm2, r.budget_area_mm2)]
    points = [
        [r.mean if name == "accuracy" else getattr(r, name) for name, _ in OBJECTIVES]
        for r in within
    ]
    on = dict(
        zip(map(id, within), non_dominated(points, [up for _, up in OBJECTIVES]), strict=True)
    )
    flags = iter(on.get(id(r), False) for r in rows)  # over budget: off the front
    first = {r.technique: r for r in runs[0].rows}

    def versus(r: TechniqueRow) -> Difference | None:
        other = first.get(r.technique)
        d = paired_difference(r.per_chip, other.per_chip) if other else None
        return None if d is None else Difference(difference=d.mean, half_width=d.half_width)

    return [
        replace(
            run,
            rows=tuple(
                replace(r, on_front=next(flags), vs_first_run=versus(r) if i else None)
                for r in run.rows
            ),
        )
        for i, run in enumerate(runs)
    ]


def tolerance_record(
    runs: list[ToleranceRun],
    studies: list[Study],
    fault_model: FaultModel,
    rate: float,
    chips: int,
    seed: int,
) -> ToleranceStudy:
    first = studies[0]
    setting = first.setting(
        fault_model=fault_model.name, rate=rate, seed=seed, chips=chips, images=len(first.labels)
    )
    return ToleranceStudy(
        setting=setting,
        budget_chips=first.budget_chips,
        runs=tuple(mark_front(runs)),
    )


@dataclass(frozen=True)
class DataOptions:
    """Which test images and hardware every checkpoint of a study is scored on."""

    dataset: str | None = None
    data_dir: str | None = None
    limit: int | None = None
    subset_seed: int | None = None
    hardware: str | None = None
    budget_chips: int = 1
    device: str = "cpu"
    bn_sets: bool = True  # False: the training statistics (`faults.bnsets.TRAINING`)
    crossbar: str = "fast"  # how RRAM layers compute: fast | exact | off (faults/xbarpath.py)
    variation: str | None = None  # programming-variation preset (faults/devices.py)
    read_noise: str | None = None  # read-noise preset (faults/devices.py)
    drift: str | None = None  # drift preset (faults/devices.py), with `time`
    time: float | None = None  # seconds after programming


def vulnerability_study(
    checkpoint: str,
    fault_model: FaultModel,
    rate: float,
    chips: int,
    seed: int,
    data: DataOptions,
    batch_size: int = 256,
    progress: bool = False,
    design: Design | None = None,
) -> VulnerabilityStudy:
    """Load the checkpoint and return its vulnerability study (`design`: see
    `vulnerability_table`)."""
    from archsim.explore.ft_vulnerability import vulnerability_table

    study = _load(checkpoint, data)
    return vulnerability_table(
        study, fault_model, rate, chips, seed, batch_size, progress, design=design
    )


def tolerance_study(
    checkpoints: list[tuple[str, str]],
    plan: StudyPlan,
    fault_model: FaultModel,
    rate: float,
    chips: int,
    seed: int,
    data: DataOptions,
    table: VulnerabilityStudy | None = None,
    batch_size: int = 256,
    progress: bool = False,
) -> ToleranceStudy:
    """Every (label, checkpoint) under `plan` on the same chips and images."""
    if not checkpoints:
        raise UserError("give at least one checkpoint")
    studies = [_load(path, data) for _, path in checkpoints]
    runs = [
        run_study(label, study, plan, fault_model, rate, chips, seed, table, batch_size, progress)
        for (label, _), study in zip(checkpoints, studies, strict=True)
    ]
    return tolerance_record(runs, studies, fault_model, rate, chips, seed)


def _load(checkpoint: str, data: DataOptions) -> Study:
    """One checkpoint's study on `data`'s dataset, hardware, budget and crossbar settings."""
    return load_study(
        checkpoint,
        data.dataset,
        data.data_dir,
        data.limit,
        data.subset_seed,
        data.hardware,
        data.device,
        data.budget_chips,
        bn_sets=data.bn_sets,
        crossbar=data.crossbar,
        variation=data.variation,
        read_noise=data.read_noise,
        drift=data.drift,
        time=data.time,
    )
