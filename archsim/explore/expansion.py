"""What expanding a sweep spec yields: its jobs, and the evaluations, costs and trainings that
the results and the report read back (`expand.expand` builds one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archsim.explore.jobs import Job


@dataclass(frozen=True)
class DatasetShape:
    """A model's resolved setting: its dataset and its net options (model card + spec);
    `identity` fingerprints the dataset's data and `card` the model card's content;
    `input_shape` is what the net sees (after any padding to `pad_to`)."""

    name: str
    input_shape: tuple[int, int, int]
    num_classes: int
    options: dict[str, Any] = field(default_factory=dict, hash=False)
    identity: str = ""
    card: str = ""
    pad_to: int | None = None  # the sweep's input_size, where it differs from the stored size


@dataclass(frozen=True)
class Evaluation:
    point: dict[str, Any]  # model, hardware, width, method, train_rate, prune, recalibrate, ...
    fault_rate: float
    key: str
    train_key: str
    cost_key: str


@dataclass(frozen=True)
class Cost:
    model: str
    net: str
    width: float
    policy: str
    estimator: str
    key: str
    map_key: str
    hardware: str  # the variant's reference (`spec.Cost.references`)
    paper: bool = False


@dataclass(frozen=True)
class Training:
    point: dict[str, Any]
    key: str


@dataclass
class Expansion:
    jobs: list[Job] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)
    costs: list[Cost] = field(default_factory=list)
    trainings: list[Training] = field(default_factory=list)
    # the raw standard model under `faults.compare_models` (point["fault_model"] says which)
    fault_model_evaluations: list[Evaluation] = field(default_factory=list)
    # every trained point under each `tolerance` technique (point["tolerance"] says which)
    tolerance_evaluations: list[Evaluation] = field(default_factory=list)
    # the hardware variants after the reference (`spec.Cost.references`): their evaluations
    # at the Pareto rates and their costs (point["hardware"] / `Cost.hardware` says which)
    variant_evaluations: list[Evaluation] = field(default_factory=list)
    variant_costs: list[Cost] = field(default_factory=list)

    def add(self, job: Job) -> str:
        self.jobs.append(job)
        return job.key
