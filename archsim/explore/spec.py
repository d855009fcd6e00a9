"""The sweep spec: a strict YAML file (or a shipped preset) naming the grid to run.

Every list is a grid axis; an empty axis, an unknown key, a rate outside [0, 1], a width
<= 0 or any NaN or infinite number is one error line naming the file and the key.
See `archsim/presets/*.yaml`.
"""

from __future__ import annotations

from importlib import resources
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

from archsim.bounds import MAX_IMAGE_SIDE, MAX_LR, SEED_BOUND
from archsim.config.variants import VARIABLE, reference, split_reference
from archsim.config.yamlio import load_yaml, parse_yaml, validate
from archsim.errors import UserError
from archsim.explore.tolerance_axis import parse_axis_technique
from archsim.perf.estimators import ESTIMATOR_NAMES

Method = Literal["standard", "dropconnect", "oneshot", "progressive"]
SFT_METHODS = ("oneshot", "progressive")
if TYPE_CHECKING:
    EstimatorName = str
else:  # the registered estimators, as one literal: pydantic names the choices in its error
    EstimatorName = Literal[ESTIMATOR_NAMES]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _rates(values: list[float], what: str) -> list[float]:
    for value in values:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{what} must be in [0, 1], got {value}")
    if len(set(values)) != len(values):
        raise ValueError(f"{what} has a repeated value")
    return values


def _non_empty(values: list[Any]) -> list[Any]:
    if not values:
        raise ValueError("empty grid: list at least one value")
    return values


class ModelEntry(_Strict):
    """A zoo network with options; `label` names it in the report (default: `net`)."""

    net: str
    label: str = ""
    options: dict[str, Any] = Field(default_factory=dict)
    dataset: str | list[str] | None = None  # overrides the sweep's dataset for this net
    epochs: int | None = Field(default=None, gt=0)  # overrides training.epochs for this net

    @property
    def name(self) -> str:
        return self.label or self.net


class Prune(_Strict):
    method: Literal["magnitude", "admm"]
    sparsity: float = Field(gt=0.0, lt=1.0)
    admm_epochs: int | None = Field(default=None, gt=0)  # default: half the fine-tuning epochs

    @property
    def name(self) -> str:
        return f"{self.method}-{self.sparsity:g}"


class Training(_Strict):
    epochs: int = Field(gt=0)
    finetune_epochs: int | None = Field(default=None, gt=0)  # oneshot/progressive/pruning
    batch_size: int = Field(default=128, gt=0)
    lr: float = Field(default=0.1, gt=0.0, le=MAX_LR)
    lr_schedule: Literal["cosine", "step"] = "cosine"
    methods: list[Method] = Field(default_factory=lambda: list[Method](["standard"]))
    dropconnect_rates: list[float] = Field(default_factory=list)
    sft_rates: list[float] = Field(default_factory=list)
    progressive_schedule: list[float] = Field(default_factory=list)
    sft_fault_model: str = "sft"
    prune: list[Prune] = Field(default_factory=list)
    recalibrate: list[bool] = Field(default_factory=lambda: [True])
    val_chips: int = Field(default=3, ge=0)  # fixed faulty chips validated on every epoch
    val_rate: float | None = Field(default=None, ge=0.0, le=1.0)  # default: top test rate
    seeds: list[Annotated[int, Field(ge=0, lt=SEED_BOUND)]] = Field(default_factory=list)
    # training seeds (default: the sweep's seed)
    limit: int | None = Field(default=None, gt=0)  # first N training images (default: all)
    val_limit: int | None = Field(default=None, gt=0)  # first N test images per-epoch validation

    _empty = field_validator("methods", "recalibrate")(_non_empty)

    @field_validator("seeds")
    @classmethod
    def _distinct_seeds(cls, values: list[int]) -> list[int]:
        if len(set(values)) != len(values):
            raise ValueError("training.seeds has a repeated value")
        return values

    @field_validator("dropconnect_rates", "sft_rates", "progressive_schedule")
    @classmethod
    def _check_rates(cls, values: list[float]) -> list[float]:
        _rates(values, "every rate")
        if any(v >= 1.0 for v in values):
            raise ValueError("training rates must be below 1")
        return values

    @field_validator("sft_rates", "progressive_schedule")
    @classmethod
    def _positive(cls, values: list[float]) -> list[float]:
        if any(v <= 0.0 for v in values):
            raise ValueError("stochastic fault training rates must be above 0")
        return values

    @model_validator(mode="after")
    def _rates_for_methods(self) -> Training:
        if "dropconnect" in self.methods and not self.dropconnect_rates:
            raise ValueError("empty grid: method dropconnect needs dropconnect_rates")
        if set(SFT_METHODS) & set(self.methods) and not self.sft_rates:
            raise ValueError("empty grid: methods oneshot/progressive need sft_rates")
        if sorted(self.progressive_schedule) != self.progressive_schedule:
            raise ValueError("progressive_schedule must be ascending")
        return self

    @property
    def tune_epochs(self) -> int:
        return self.finetune_epochs or self.epochs


class Faults(_Strict):
    model: str = "dropconnect"
    rates: list[float]
    chips: int = Field(default=100, gt=0)
    threshold: float | None = Field(default=None, ge=0.0, le=100.0)  # yield: accuracy >= this %
    images: int | None = Field(default=None, gt=0)  # first N test images per chip (default: all)
    # fault models the raw standard model is also evaluated under, at the Pareto rates
    compare_models: list[str] = Field(default_factory=list)
    # how RRAM layers compute: fast (exact where provable), exact (bit-true) or off (weights
    # only); docs/crossbar-path.md
    crossbar: Literal["fast", "exact", "off"] = "fast"
    # device physics of the cells (docs/device-physics.md): presets NAME[:K], drift with time
    variation: str | None = None
    read_noise: str | None = None
    drift: str | None = None
    time: float | None = None

    @model_validator(mode="after")
    def _check_physics(self) -> Faults:
        from archsim.faults.devices import device_physics

        try:
            device_physics(self.variation, self.read_noise, self.drift, self.time)
        except UserError as error:
            raise ValueError(str(error)) from None
        if self.crossbar == "off" and (self.variation or self.read_noise or self.drift):
            raise ValueError("device physics needs the crossbar path (crossbar: fast or exact)")
        return self

    def physics(self) -> dict[str, Any]:
        """The job config entries of the device physics set (none when none is)."""
        chosen = {"variation": self.variation, "read_noise": self.read_noise,
                  "drift": self.drift, "time": self.time}  # fmt: skip
        return {key: value for key, value in chosen.items() if value is not None}

    _empty = field_validator("rates")(_non_empty)

    @field_validator("rates")
    @classmethod
    def _check_rates(cls, values: list[float]) -> list[float]:
        return sorted(_rates(values, "every fault rate"))


# More hardware variants than this in one sweep is a typo'd axis, not a study.
MAX_VARIANTS = 64


class Cost(_Strict):
    # one description (a name, a path or a variant reference, `config/variants.py`) or a
    # list of them; the first is the sweep's reference hardware (see `references`)
    hardware: str | list[str] = "isaac"
    # keys of the descriptions to vary, each a grid axis: {"ima.adc.bits": [6, 7, 8]}
    hardware_axes: dict[str, list[StrictInt]] = Field(default_factory=dict)
    # which trained models each variant after the reference evaluates (at the Pareto rates):
    # every one, or only the standard-trained ones (what the precision page shows)
    variant_models: Literal["all", "standard"] = "all"
    policy: str = "cpu-1x1"
    compare_policies: list[str] = Field(default_factory=lambda: ["all-rram"])
    estimator: EstimatorName = "des"
    images: int = Field(default=1, gt=0)  # images the derived time_for_images_s is for
    budget_chips: int | None = Field(default=None, gt=0)  # None: the largest point's chips
    budget_tiles: int | None = Field(default=None, gt=0)  # part of a chip instead of chips
    replicate: bool = True  # balance each point's pipeline inside the budget
    paper_table: bool = True  # also cost every model the paper's Table II way (CIFAR-10 shapes)

    @field_validator("hardware")
    @classmethod
    def _hardware_list(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list):
            _non_empty(value)
            if len(set(value)) != len(value):
                raise ValueError("cost.hardware lists a description twice")
        for name in [value] if isinstance(value, str) else value:
            try:
                split_reference(name)  # a variant's keys and values; its content: on resolve
            except UserError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("hardware_axes")
    @classmethod
    def _check_axes(cls, axes: dict[str, list[int]]) -> dict[str, list[int]]:
        for key, values in axes.items():
            if key not in VARIABLE:
                raise ValueError(f"{key!r} cannot vary (keys that can: {', '.join(VARIABLE)})")
            if not values:
                raise ValueError(f"empty grid: list at least one value of {key}")
            if len(set(values)) != len(values):
                raise ValueError(f"{key} has a repeated value")
        return axes

    @model_validator(mode="after")
    def _one_budget(self) -> Cost:
        if self.budget_chips is not None and self.budget_tiles is not None:
            raise ValueError("give cost.budget_chips or cost.budget_tiles, not both")
        if len(self.references) > MAX_VARIANTS:
            raise ValueError(
                f"{len(self.references)} hardware variants; at most {MAX_VARIANTS} in one sweep"
            )
        return self

    @property
    def names(self) -> list[str]:
        """The descriptions `hardware` lists; the first is the sweep's reference hardware."""
        return [self.hardware] if isinstance(self.hardware, str) else list(self.hardware)

    @property
    def references(self) -> list[str]:
        """Every hardware variant of the sweep as a loadable reference, the reference
        hardware first, then each listed description with each combination of
        `hardware_axes` values (keys sorted; a key at its base's value is dropped when the
        sweep resolves, `resolve.hardware_digests`)."""
        keys = sorted(self.hardware_axes)
        combos = product(*(self.hardware_axes[key] for key in keys))
        grid = [dict(zip(keys, values, strict=True)) for values in combos]
        out = [self.names[0]]
        for name in self.names:
            base, fixed = split_reference(name)
            out += [reference(base, {**fixed, **overrides}) for overrides in grid]
        return list(dict.fromkeys(out))


class ParetoSettings(_Strict):
    fault_rates: list[float] = Field(default_factory=list)  # default: every nonzero test rate
    metric: Literal["mean", "p5", "p50"] = "mean"

    @field_validator("fault_rates")
    @classmethod
    def _check_rates(cls, values: list[float]) -> list[float]:
        return _rates(values, "every Pareto fault rate")


class SweepSpec(_Strict):
    # a name, never a path: it names the default output folder reports/<name>
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    description: str = ""
    dataset: str | list[str]  # a list means: the first of these that is present
    data_dir: str | None = None
    seed: int = Field(default=0, ge=0, lt=SEED_BOUND)  # chips, recalibration faults, training
    input_size: int | None = Field(
        default=None, gt=0, le=MAX_IMAGE_SIDE
    )  # zero-pad images to N x N (None: as stored)
    models: list[ModelEntry]
    widths: list[float]
    training: Training
    faults: Faults
    cost: Cost = Field(default_factory=Cost)
    pareto: ParetoSettings = Field(default_factory=ParetoSettings)
    # fault-tolerance techniques (`explore/tolerance_axis.py`); empty: no tolerance jobs
    tolerance: list[str] = Field(default_factory=list)

    _empty = field_validator("models", "widths")(_non_empty)

    @field_validator("models", mode="before")
    @classmethod
    def _names_to_entries(cls, values: Any) -> Any:
        if isinstance(values, list):
            return [{"net": v} if isinstance(v, str) else v for v in values]
        return values

    @field_validator("tolerance")
    @classmethod
    def _check_tolerance(cls, values: list[str]) -> list[str]:
        for value in values:
            parse_axis_technique(value)
        if len(set(values)) != len(values):
            raise ValueError("tolerance lists a technique twice")
        return values

    @field_validator("widths")
    @classmethod
    def _check_widths(cls, values: list[float]) -> list[float]:
        from archsim.nets.width import MAX_WIDTH  # here: archsim.nets imports torch

        for width in values:
            if not 0 < width <= MAX_WIDTH:
                raise ValueError(f"every width must be > 0 and at most {MAX_WIDTH:g}, got {width}")
        return values

    @model_validator(mode="after")
    def _consistent(self) -> SweepSpec:
        names = [m.name for m in self.models]
        if len(set(names)) != len(names):
            raise ValueError("two models share a label: give each a distinct 'label'")
        missing = set(self.pareto.fault_rates) - set(self.faults.rates)
        if missing:
            raise ValueError(f"pareto.fault_rates {sorted(missing)} are not in faults.rates")
        return self

    @property
    def train_seeds(self) -> list[int]:
        return self.training.seeds or [self.seed]

    @property
    def pareto_rates(self) -> list[float]:
        return self.pareto.fault_rates or [r for r in self.faults.rates if r > 0] or [0.0]


def _preset_folder() -> Any:
    return resources.files("archsim") / "presets"


def preset_names() -> list[str]:
    return sorted(
        p.name.removesuffix(".yaml") for p in _preset_folder().iterdir() if p.name.endswith(".yaml")
    )


def load_preset(name: str) -> SweepSpec:
    if name not in preset_names():
        raise UserError(f"unknown preset {name!r}; presets: {', '.join(preset_names())}")
    text = (_preset_folder() / f"{name}.yaml").read_text(encoding="utf-8")
    source = f"preset {name}"
    return validate(SweepSpec, parse_yaml(text, source), source)


def load_spec(path: str | Path) -> SweepSpec:
    return validate(SweepSpec, load_yaml(path), str(path))


def spec_from_dict(data: dict[str, Any], source: str = "stored spec") -> SweepSpec:
    return validate(SweepSpec, data, source)
