"""Expand a sweep spec into its job graph.

Accuracy: train -> (recalibrate) -> evaluate, per design point and fault rate; fine-tuning
methods (one-shot, progressive, pruning) start from the standard model of the same net and
width. Cost: map -> simulate per net, width and placement policy. Identical work is one job
(same resolved config, same key), so e.g. drop rate 0 is the standard model.

A key covers the resolved CONTENT of what a job depends on, not just names: the hardware
description's digest (so an edited or shadowing hwconfigs file reruns its jobs), the dataset's
fingerprint, the model card's digest and every spec value the job reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archsim.explore.expansion import Cost, DatasetShape, Evaluation, Expansion, Training
from archsim.explore.jobs import make_job
from archsim.explore.spec import SFT_METHODS, ModelEntry, Prune, SweepSpec
from archsim.explore.spec import Cost as CostSpec
from archsim.explore.tolerance_axis import axis_techniques

# The drop-connect paper's Table II: CIFAR-10 nets, 10,000 images, the throughput-bound
# estimator (the table: docs/reference.md s.3; the estimator: docs/validation.md s.8).
PAPER_SHAPE = (3, 32, 32)
PAPER_CLASSES = 10
PAPER_IMAGES = 10_000
PAPER_NETS = {"resnet20": {"shortcut": "1x1"}, "vgg13": {}, "mobilenetv2": {}}


def _net(entry: ModelEntry, width: float, shape: DatasetShape) -> dict[str, Any]:
    return {"net": entry.net, "options": dict(shape.options), "width": width}


@dataclass(frozen=True)
class _CostPoint:
    entry: ModelEntry
    width: float
    policy: str
    shape: DatasetShape
    estimator: str
    images: int
    paper: bool = False


def _cost_jobs(
    out: Expansion, points: list[_CostPoint], cost: CostSpec, hardware: dict[str, str]
) -> dict[tuple, str]:
    """Map jobs for every point, then one simulate job per point.

    Every point of the group is costed in one chip budget: `cost.budget_chips`, or the
    largest unreplicated mapping of the group, which the simulate job reads from the map
    jobs it depends on (so the budget is derived from stored results, not guessed here).
    """
    maps = []
    for p in points:
        base = {
            **_net(p.entry, p.width, p.shape),
            "input_shape": list(p.shape.input_shape),
            "num_classes": p.shape.num_classes,
            **hardware,
            "policy": p.policy,
        }
        tag = f"{p.entry.name} w{p.width:g} {p.policy}" + (" (paper setting)" if p.paper else "")
        maps.append((base, tag, out.add(make_job("map", base, label=tag))))
    group = {f"budget/{i}": key for i, (_, _, key) in enumerate(maps)}
    fixed = cost.budget_chips or cost.budget_tiles  # a declared budget needs no map results
    keys = {}
    for p, (base, tag, map_key) in zip(points, maps, strict=True):
        others = {role: key for role, key in group.items() if key != map_key}
        deps = {"mapping": map_key, **({} if fixed else others)}
        sim = make_job("simulate", {**base, "estimator": p.estimator, "images": p.images,
                                    "budget_chips": cost.budget_chips,
                                    "budget_tiles": cost.budget_tiles,
                                    "replicate": cost.replicate},
                       deps, label=f"{tag} {p.estimator}")  # fmt: skip
        out.add(sim)
        out.costs.append(Cost(p.entry.name, p.entry.net, p.width, p.policy, p.estimator,
                              sim.key, map_key, p.paper))  # fmt: skip
        keys[(p.entry.name, p.width, p.policy, p.paper)] = sim.key
    return keys


def _prune_dict(prune: Prune | None, epochs: int) -> dict[str, Any] | None:
    if prune is None:
        return None
    admm = (prune.admm_epochs or max(1, epochs // 2)) if prune.method == "admm" else 0
    return {"method": prune.method, "sparsity": prune.sparsity, "admm_epochs": admm}


class _Grid:
    """The accuracy half of the expansion for one net and width."""

    def __init__(
        self,
        spec: SweepSpec,
        entry: ModelEntry,
        width: float,
        shape: DatasetShape,
        hardware: dict[str, str],
        out: Expansion,
        seed: int,
    ) -> None:
        self.spec, self.entry, self.width, self.shape, self.out = spec, entry, width, shape, out
        self.seed = seed
        t = spec.training
        # What every accuracy job reads besides its own settings: hardware and data content.
        self.inputs = {**hardware, "dataset": shape.name, "dataset_identity": shape.identity}
        # How training reads its data; a setting left at its default stays out of the config,
        # so sweeps written before it existed keep their keys (and their stored results).
        reading = {"limit": t.limit, "val_limit": t.val_limit, "pad_to": shape.pad_to}
        self.common = {
            **_net(entry, width, shape),
            **self.inputs,
            "seed": seed,
            "card": shape.card,
            "batch_size": t.batch_size,
            "lr": t.lr,
            "lr_schedule": t.lr_schedule,
            **{k: v for k, v in reading.items() if v is not None},
        }
        self.tag = f"{entry.name} w{width:g}" + (f" s{seed}" if len(spec.train_seeds) > 1 else "")

    def train(
        self, method: str, rate: float, prune: Prune | None, init: str | None, epochs: int
    ) -> str:
        t, faults = self.spec.training, self.spec.faults
        schedule = [r for r in t.progressive_schedule if r < rate] + [rate]
        config = {
            **self.common,
            "method": method,
            "rate": rate,
            "epochs": epochs,
            "policy": self.spec.cost.policy,
            "prune": _prune_dict(prune, epochs),
            "rates": schedule if method == "progressive" else [rate],
            # Training faults (one-shot, progressive) and the faulty validation chips.
            "fault_model": t.sft_fault_model if method in SFT_METHODS else faults.model,
            # Validation chips at the training rate (the linear-bottleneck study's view),
            # or at the top test rate for standard training, unless the spec says otherwise.
            "val_rate": t.val_rate if t.val_rate is not None else (rate or max(faults.rates)),
            "val_chips": t.val_chips,
        }
        point = self.point(method, rate, prune, recalibrate=False, policy=self.spec.cost.policy)
        label = f"{self.tag} {method} {rate:g}" + (f" {prune.name}" if prune else "")
        job = make_job("train", config, {"init": init} if init else {}, label, point)
        self.out.add(job)
        self.out.trainings.append(Training(point, job.key, init))
        return job.key

    def point(
        self, method: str, rate: float, prune: Prune | None, recalibrate: bool, policy: str
    ) -> dict[str, Any]:
        return {
            "model": self.entry.name,
            "net": self.entry.net,
            "width": self.width,
            "method": method,
            "train_rate": rate,
            "prune": prune.name if prune else "",
            "recalibrate": recalibrate,
            "policy": policy,
            "dataset": self.shape.name,
            "train_seed": self.seed,
        }

    def evaluate(
        self,
        train_key: str,
        method: str,
        rate: float,
        prune: Prune | None,
        cost_keys: dict[str, str],
    ) -> None:
        spec, faults = self.spec, self.spec.faults
        for policy, cost_key in cost_keys.items():
            # The compared placements are evaluated at the Pareto fault rates only.
            rates = faults.rates if policy == spec.cost.policy else spec.pareto_rates
            for recalibrate in spec.training.recalibrate:
                model_key, role = train_key, "model"
                if recalibrate:
                    model_key = self.out.add(
                        make_job(
                            "recalibrate",
                            {
                                "rates": list(rates),
                                "fault_model": faults.model,
                                "policy": policy,
                                "seed": spec.seed,
                                **self.inputs,
                            },
                            {"model": train_key},
                            label=f"{self.tag} {method} {rate:g} {policy}",
                        )
                    )
                point = self.point(method, rate, prune, recalibrate, policy)
                for fault_rate in rates:
                    config = {
                        "fault_model": faults.model,
                        "rate": fault_rate,
                        "chips": faults.chips,
                        "seed": spec.seed,
                        "threshold": faults.threshold,
                        "policy": policy,
                        **self.inputs,
                        **({"limit": faults.images} if faults.images else {}),
                        **({"crossbar": faults.crossbar} if faults.crossbar != "fast" else {}),
                    }
                    job = make_job(
                        "evaluate",
                        config,
                        {role: model_key},
                        f"{self.tag} {method} {rate:g}"
                        f"{' ' + prune.name if prune else ''}"
                        f"{' recal' if recalibrate else ''} {policy} f={fault_rate:g}",
                        {**point, "fault_rate": fault_rate},
                    )
                    self.out.add(job)
                    self.out.evaluations.append(
                        Evaluation(point, fault_rate, job.key, train_key, cost_key)
                    )
        self.tolerance(train_key, method, rate, prune, cost_keys[spec.cost.policy])

    def tolerance(
        self, train_key: str, method: str, rate: float, prune: Prune | None, cost_key: str
    ) -> None:
        """The trained (not recalibrated) model under each technique of the `tolerance`
        axis, at the Pareto rates, on the sweep's chips and images; the job reads the sweep's
        cost of the point (`cost_key`) to charge the technique's extra cost on it."""
        spec, faults = self.spec, self.spec.faults
        policy = spec.cost.policy
        base = self.point(method, rate, prune, False, policy)
        for technique in axis_techniques(spec.tolerance) if spec.tolerance else []:
            point = {**base, "tolerance": technique.name}
            for fault_rate in spec.pareto_rates:
                config = {
                    "technique": technique.name,
                    "fault_model": faults.model,
                    "rate": fault_rate,
                    "chips": faults.chips,
                    "seed": spec.seed,
                    "policy": policy,
                    **self.inputs,
                    **({"limit": faults.images} if faults.images else {}),
                    **({"crossbar": faults.crossbar} if faults.crossbar != "fast" else {}),
                }
                job = make_job(
                    "tolerance",
                    config,
                    {"model": train_key, "cost": cost_key},
                    f"{self.tag} {method} {rate:g}"
                    f"{' ' + prune.name if prune else ''} {policy} "
                    f"{technique.name} f={fault_rate:g}",
                    {**point, "fault_rate": fault_rate},
                )
                self.out.add(job)
                self.out.tolerance_evaluations.append(
                    Evaluation(point, fault_rate, job.key, train_key, cost_key)
                )

    def compare_fault_models(self, train_key: str, cost_key: str) -> None:
        """The raw (not recalibrated) standard model under each compare fault model, at the
        Pareto rates, on the sweep's chips and images."""
        spec, faults = self.spec, self.spec.faults
        policy = spec.cost.policy
        for model in (m for m in faults.compare_models if m != faults.model):
            point = {**self.point("standard", 0.0, None, False, policy), "fault_model": model}
            for fault_rate in spec.pareto_rates:
                config = {
                    "fault_model": model,
                    "rate": fault_rate,
                    "chips": faults.chips,
                    "seed": spec.seed,
                    "threshold": faults.threshold,
                    "policy": policy,
                    **self.inputs,
                    **({"limit": faults.images} if faults.images else {}),
                    **({"crossbar": faults.crossbar} if faults.crossbar != "fast" else {}),
                }
                job = make_job(
                    "evaluate",
                    config,
                    {"model": train_key},
                    f"{self.tag} standard 0 {policy} {model} f={fault_rate:g}",
                    {**point, "fault_rate": fault_rate},
                )
                self.out.add(job)
                self.out.fault_model_evaluations.append(
                    Evaluation(point, fault_rate, job.key, train_key, cost_key)
                )

    def expand(self, cost_keys: dict[str, str]) -> None:
        t = self.spec.training
        epochs = self.entry.epochs or t.epochs
        pretrained = self.train("standard", 0.0, None, None, epochs)
        self.compare_fault_models(pretrained, cost_keys[self.spec.cost.policy])
        bases: list[tuple[Prune | None, str]] = [(None, pretrained)]
        for method_of_pruning in t.prune:
            pruned = self.train("standard", 0.0, method_of_pruning, pretrained, t.tune_epochs)
            bases.append((method_of_pruning, pruned))
        for prune, base in bases:
            self.evaluate(base, "standard", 0.0, prune, cost_keys)
        if "dropconnect" in t.methods:
            for rate in t.dropconnect_rates:
                if rate > 0:
                    key = self.train("dropconnect", rate, None, None, epochs)
                    self.evaluate(key, "dropconnect", rate, None, cost_keys)
        for method in (m for m in t.methods if m in SFT_METHODS):
            for prune, base in bases:
                for rate in t.sft_rates:
                    key = self.train(method, rate, prune, base, t.tune_epochs)
                    self.evaluate(key, method, rate, prune, cost_keys)


def expand(
    spec: SweepSpec, shapes: dict[str, DatasetShape], hardware_digest: str = ""
) -> Expansion:
    """The job graph of `spec`; `shapes` gives each model label's resolved dataset and
    `hardware_digest` the content digest of `spec.cost.hardware`."""
    out = Expansion()
    cost = spec.cost
    hardware = {"hardware": cost.hardware, "hardware_digest": hardware_digest}
    policies = [cost.policy, *(p for p in cost.compare_policies if p != cost.policy)]
    points, paper_points = [], []
    for entry in spec.models:
        shape = shapes[entry.name]
        for width in spec.widths:
            points += [_CostPoint(entry, width, policy, shape, cost.estimator, cost.images)
                       for policy in policies]  # fmt: skip
            if cost.paper_table and entry.net in PAPER_NETS:
                paper_shape = DatasetShape(
                    "cifar10",
                    PAPER_SHAPE,
                    PAPER_CLASSES,
                    {**shape.options, **PAPER_NETS[entry.net]},
                )
                paper_points += [
                    _CostPoint(entry, width, policy, paper_shape, "paper", PAPER_IMAGES, paper=True)
                    for policy in policies
                ]
    keys = _cost_jobs(out, points, cost, hardware)
    if paper_points:
        _cost_jobs(out, paper_points, cost, hardware)
    for entry in spec.models:
        for width in spec.widths:
            cost_keys = {policy: keys[(entry.name, width, policy, False)] for policy in policies}
            for seed in spec.train_seeds:
                _Grid(spec, entry, width, shapes[entry.name], hardware, out, seed).expand(cost_keys)
    return out
