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

from collections.abc import Mapping, Sequence
from typing import Any

from archsim.explore.expand_cost import cost_jobs, cost_points, net_config
from archsim.explore.expansion import DatasetShape, Evaluation, Expansion, Training
from archsim.explore.jobs import make_job
from archsim.explore.spec import SFT_METHODS, ModelEntry, Prune, SweepSpec
from archsim.explore.tolerance_axis import REFERENCE, axis_techniques


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
            **net_config(entry, width, shape),
            **self.inputs,
            "seed": seed,
            "card": shape.card,
            "batch_size": t.batch_size,
            "lr": t.lr,
            "lr_schedule": t.lr_schedule,
            **{k: v for k, v in reading.items() if v is not None},
        }
        self.tag = f"{entry.name} w{width:g}" + (f" s{seed}" if len(spec.train_seeds) > 1 else "")
        self.trained: list[tuple[str, str, float, Prune | None]] = []  # key, method, rate, prune
        # (model key, fault rate) -> the evaluation of that checkpoint on the sweep's own
        # placement and hardware: the chips the tolerance axis's `none` would score again
        self.scored: dict[tuple[str, float], str] = {}

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
        self.out.trainings.append(Training(point, job.key))
        return job.key

    def point(
        self,
        method: str,
        rate: float,
        prune: Prune | None,
        recalibrate: bool,
        policy: str,
        hardware: str | None = None,
    ) -> dict[str, Any]:
        return {
            "model": self.entry.name,
            "hardware": hardware or self.inputs["hardware"],
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
        hardware: dict[str, str] | None = None,
    ) -> None:
        """Every evaluation of one trained model: on the reference hardware at every test
        rate (compared placements at the Pareto rates), then the tolerance axis; on a
        hardware `variant` ({"hardware": reference, "hardware_digest": digest}, costed by
        `cost_keys`) at the Pareto rates only."""
        spec, faults = self.spec, self.spec.faults
        tolerance_model = train_key  # the model the `tolerance` axis runs (see `tolerance`)
        if hardware is None:
            self.trained.append((train_key, method, rate, prune))
        inputs = {**self.inputs, **(hardware or {})}
        variant = f" {hardware['hardware']}" if hardware else ""
        for policy, cost_key in cost_keys.items():
            # The compared placements and hardware variants: at the Pareto fault rates only.
            main = policy == spec.cost.policy and hardware is None
            rates = faults.rates if main else spec.pareto_rates
            for recalibrate in spec.training.recalibrate:
                model_key, role = train_key, "model"
                if recalibrate:
                    label = f"{self.tag} {method} {rate:g} {policy}{variant}"
                    model_key = self._recalibrate(train_key, policy, rates, inputs, label)
                    if policy == spec.cost.policy:
                        tolerance_model = model_key
                point = self.point(method, rate, prune, recalibrate, policy, inputs["hardware"])
                for fault_rate in rates:
                    job = make_job(
                        "evaluate",
                        self._evaluate_config(policy, inputs, fault_rate),
                        {role: model_key, "cost": cost_key},  # its budget: the costed chip
                        f"{self.tag} {method} {rate:g}"
                        f"{' ' + prune.name if prune else ''}"
                        f"{' recal' if recalibrate else ''} {policy}{variant} f={fault_rate:g}",
                        {**point, "fault_rate": fault_rate},
                    )
                    self.out.add(job)
                    if main:
                        self.scored[(model_key, fault_rate)] = job.key
                    (self.out.variant_evaluations if hardware else self.out.evaluations).append(
                        Evaluation(point, fault_rate, job.key, train_key, cost_key)
                    )
        if hardware is None:
            models = (train_key, tolerance_model)
            self.tolerance(models, method, rate, prune, cost_keys[spec.cost.policy])

    def _recalibrate(
        self,
        train_key: str,
        policy: str,
        rates: Sequence[float],
        inputs: Mapping[str, Any],
        label: str,
    ) -> str:
        """The key of the job recalibrating model `train_key` for `policy` at `rates`."""
        faults = self.spec.faults
        config = {
            "rates": list(rates),
            "fault_model": faults.model,
            "policy": policy,
            "seed": self.spec.seed,
            **inputs,
        }
        return self.out.add(make_job("recalibrate", config, {"model": train_key}, label=label))

    def _evaluate_config(
        self, policy: str, inputs: Mapping[str, Any], fault_rate: float
    ) -> dict[str, Any]:
        """An evaluate job's configuration: the chips, the placement, the hardware."""
        faults = self.spec.faults
        return {
            "fault_model": faults.model,
            "rate": fault_rate,
            "chips": faults.chips,
            "seed": self.spec.seed,
            "threshold": faults.threshold,
            "policy": policy,
            **inputs,
            **({"limit": faults.images} if faults.images else {}),
            **({"crossbar": faults.crossbar} if faults.crossbar != "fast" else {}),
            **faults.physics(),
        }

    def variant(self, hardware: dict[str, str], cost_key: str) -> None:
        """Every model trained for this point, evaluated on a hardware variant under the
        sweep's placement (`cost_key`: the variant's cost of the point)."""
        for train_key, method, rate, prune in self.trained:
            if self.spec.cost.variant_models == "standard" and (method, prune) != (
                "standard",
                None,
            ):
                continue
            self.evaluate(
                train_key, method, rate, prune, {self.spec.cost.policy: cost_key}, hardware
            )

    def tolerance(
        self,
        models: tuple[str, str],
        method: str,
        rate: float,
        prune: Prune | None,
        cost_key: str,
    ) -> None:
        """The trained model under each technique of the `tolerance` axis, at the Pareto
        rates, on the sweep's chips and images; the job reads the sweep's cost of the point
        (`cost_key`) to charge the technique's extra cost on it. `models`: the trained
        model's key and the model to run, the recalibrated one where the sweep recalibrates
        (so `none` is the evaluation row of the same checkpoint, BatchNorm set included)."""
        spec, faults = self.spec, self.spec.faults
        policy = spec.cost.policy
        train_key, model_key = models
        base = self.point(method, rate, prune, model_key != train_key, policy)
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
                    **faults.physics(),
                }
                # `none` is the evaluation of the same checkpoint on the same chips and
                # images: the job reads its scores instead of scoring the chips again
                scored = self.scored.get((model_key, fault_rate))
                reuse = {"evaluation": scored} if technique.name == REFERENCE and scored else {}
                job = make_job(
                    "tolerance",
                    config,
                    {"model": model_key, "cost": cost_key, **reuse},
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
                    **faults.physics(),
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
    spec: SweepSpec, shapes: dict[str, DatasetShape], hardware: Mapping[str, str] | None = None
) -> Expansion:
    """The job graph of `spec`; `shapes` gives each model label's resolved dataset and
    `hardware` each hardware variant's reference and content digest, the reference hardware
    first (`resolve.hardware_digests`; default: `spec.cost.references`, undigested).

    The reference hardware trains every model and gets the whole grid; each other variant
    is costed as the reference is (in its own budget) and evaluates the trained models under
    the sweep's placement at the Pareto rates, so each variant is a design point of the front."""
    out = Expansion()
    cost = spec.cost
    variants = dict(hardware) if hardware is not None else dict.fromkeys(cost.references, "")
    (first, digest), *others = variants.items()
    hw = {"hardware": first, "hardware_digest": digest}
    policies = [cost.policy, *(p for p in cost.compare_policies if p != cost.policy)]
    points, paper_points = cost_points(spec, shapes, policies)
    keys = cost_jobs(out, points, cost, hw)
    if paper_points:
        cost_jobs(out, paper_points, cost, hw)
    # a variant's budget follows the reference's rule: the largest of its mappings under every
    # placement, so it is costed under each; a declared budget needs its own placement only
    declared = cost.budget_chips or cost.budget_tiles
    own = [p for p in points if p.policy == cost.policy] if declared else points
    variant_keys = [
        (v, cost_jobs(out, own, cost, v, variant=True))
        for v in ({"hardware": ref, "hardware_digest": d} for ref, d in others)
    ]
    for entry in spec.models:
        for width in spec.widths:
            cost_keys = {policy: keys[(entry.name, width, policy, False)] for policy in policies}
            for seed in spec.train_seeds:
                grid = _Grid(spec, entry, width, shapes[entry.name], hw, out, seed)
                grid.expand(cost_keys)
                for variant, vkeys in variant_keys:
                    grid.variant(variant, vkeys[(entry.name, width, cost.policy, False)])
    return out
