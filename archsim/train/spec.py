"""What one training run is: `TrainSpec`, validated strictly and resolved against a model card.

A spec with `None` fields is what a user (or a sweep) asks for; `resolve_spec` fills every
`None` from the net's model card (options, epochs, batch size, optimizer settings, schedule)
and from the method (fault model, validation fault rate), so the stored config is complete.
Mistakes raise one-line `UserError`s.
"""

import hashlib
import json
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from archsim.bounds import MAX_IMAGE_SIDE, MAX_LR, SEED_BOUND
from archsim.data.inputs import InputHandling
from archsim.errors import UserError
from archsim.faults.devices import device_physics
from archsim.faults.presets import get_fault_model
from archsim.train.clip import check_clip
from archsim.train.prune import check_sparsity
from archsim.train.stochastic import check_rates

Method = Literal["standard", "dropconnect", "oneshot", "progressive", "clipped"]
METHODS: tuple[str, ...] = ("standard", "dropconnect", "oneshot", "progressive", "clipped")
DEFAULT_CLIP = 1.0  # clipped: max|w| <= DEFAULT_CLIP x the layer's 99th-percentile |w|
PruneKind = Literal["magnitude", "admm"]
OptimizerKind = Literal["sgd", "adam"]
ScheduleKind = Literal["cosine", "step", "constant"]
# Fields that change how a run is shown or where it computes, not what it computes; and the
# recalibration, which changes only the BatchNorm sets added after training (a finished run
# asked for other sets is recalibrated, not retrained).
_NOT_IDENTITY = frozenset(
    {"progress", "device", "out_dir", "output", "recalibrate", "recalibrate_batches"}
)


class TrainSpec(BaseModel):
    """One training run. `None` means "from the model card / the method's default"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = "resnet20"
    width: float = Field(1.0, gt=0)
    options: dict[str, Any] = Field(default_factory=dict)  # net options over the card's
    card: str | None = None  # model card giving the recipe (default: <model>-<dataset>, ...)
    dataset: str = "digits"
    data_dir: str | None = None
    limit: int | None = Field(None, ge=1)  # first N training images (see subset_seed)
    val_limit: int | None = Field(None, ge=1)  # first N test images used for validation
    subset_seed: int | None = Field(
        None, ge=0, lt=SEED_BOUND
    )  # limit / val_limit draw seeded random subsets, not first N
    pad_to: int | None = Field(
        None, ge=1, le=MAX_IMAGE_SIDE
    )  # zero-pad images to pad_to x pad_to pixels
    method: Method = "standard"
    rate: float = 0.0  # drop-connect rate, or one-shot target fault rate, in [0, 1)
    rates: tuple[float, ...] = ()  # progressive: ascending fault rates, one stage each
    rescale: bool = True  # drop-connect survivors x 1/(1-p)
    clip: float | None = None  # clipped: max|w| <= clip x p99|w| per layer (train/clip.py)
    fault_model: str | None = None  # training faults / validation chips / recalibration
    init_from: str | None = None  # checkpoint to fine-tune (`--from`)
    init_sha256: str | None = None  # set by resolve_spec: the --from checkpoint's checksum
    prune: PruneKind | None = None
    sparsity: float = 0.0
    admm_epochs: int = Field(0, ge=0)
    admm_rho: float = Field(1e-3, gt=0)
    recalibrate: tuple[float, ...] = ()  # inference fault rates to recalibrate BatchNorm for
    recalibrate_batches: int | None = Field(None, ge=1)  # per rate (default: default_batches)
    epochs: int | None = Field(None, ge=1)  # per stage for progressive
    batch_size: int | None = Field(None, ge=1)
    optimizer: OptimizerKind | None = None
    lr: float | None = Field(None, gt=0, le=MAX_LR)
    momentum: float | None = Field(None, ge=0, lt=1)  # SGD only
    weight_decay: float | None = Field(None, ge=0)
    schedule: ScheduleKind | None = None
    milestones: tuple[int, ...] | None = None  # step schedule, epochs within a stage
    gamma: float | None = Field(None, gt=0, le=1)
    # the chip's device noise in the forward pass (presets NAME[:K], docs/device-physics.md)
    variation: str | None = None
    read_noise: str | None = None
    policy: str = "cpu-1x1"
    overrides: tuple[str, ...] = ()
    hardware: str = "isaac"
    val_chips: int = Field(3, ge=0)
    val_rate: float | None = Field(None, ge=0, le=1)
    val_seed: int = Field(
        1, ge=0, lt=SEED_BOUND
    )  # chips 0..val_chips-1 of this seed (evaluation defaults to seed 0)
    seed: int = Field(0, ge=0, lt=SEED_BOUND)
    channels_last: bool = True  # NHWC activations and weights: about 1.25x faster on CPU
    device: str = "cpu"
    out_dir: str = "models"
    output: str | None = None  # explicit checkpoint path (default: out_dir/<name>)
    progress: bool = True

    @field_validator("rate")
    @classmethod
    def _rate_in_range(cls, value: float) -> float:
        if not (math.isfinite(value) and 0 <= value < 1):
            raise ValueError(f"rate must be in [0, 1), got {value}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "TrainSpec":
        if self.method == "progressive":
            check_rates(self.rates)
        elif self.rates:
            raise ValueError("--rates is for --method progressive; use --rate for " + self.method)
        if self.method in ("standard", "clipped") and self.rate:
            raise ValueError("--rate needs --method dropconnect, oneshot or progressive")
        if self.clip is not None:
            if self.method != "clipped":
                raise ValueError("--clip is for --method clipped")
            check_clip(self.clip)
        if self.prune is None and self.sparsity:
            raise ValueError("--sparsity needs --prune magnitude or admm")
        if self.prune is not None and not 0 < check_sparsity(self.sparsity) < 1:
            raise ValueError(f"--prune {self.prune} needs --sparsity in (0, 1)")
        if self.prune == "admm" and self.admm_epochs < 1:
            raise ValueError("--prune admm needs --admm-epochs of at least 1")
        for r in self.recalibrate:
            if not (math.isfinite(r) and 0 <= r <= 1):
                raise ValueError(f"recalibration rates must be in [0, 1], got {r}")
        if len(set(self.recalibrate)) != len(self.recalibrate):
            raise ValueError(f"recalibration rates repeat: {list(self.recalibrate)}")
        if self.fault_model is not None:
            get_fault_model(self.fault_model)
        if self.variation or self.read_noise:
            device_physics(self.variation, self.read_noise)  # known presets, K > 0
        if self.subset_seed is not None and self.limit is None and self.val_limit is None:
            raise ValueError("--subset-seed needs --limit or --val-limit")
        if self.optimizer == "adam" and self.momentum is not None:
            raise ValueError("--momentum is for --optimizer sgd; Adam keeps its default betas")
        return self

    @property
    def final_rate(self) -> float:
        """The rate training ends at (progressive: the last stage's)."""
        return self.rates[-1] if self.method == "progressive" else self.rate

    def identity(self) -> dict[str, Any]:
        """The fields that decide the numbers a run produces.

        `optimizer: sgd` is left out: it was the only optimizer before the field existed, so
        SGD runs keep the digests (and cached checkpoints) they had.
        """
        out = self.model_dump(mode="json", exclude=set(_NOT_IDENTITY))
        if out["optimizer"] in ("sgd", None):
            del out["optimizer"]
        # absent before these existed: same digests
        for key in ("subset_seed", "pad_to", "variation", "read_noise", "clip"):
            if out[key] is None:
                del out[key]
        from archsim.nets.registry import net_info
        from archsim.nets.user import is_user_spec

        if is_user_spec(self.model):  # a user model's code is part of what decides the numbers
            out["model_source"] = net_info(self.model).source_digest
        return out

    def inputs(self, split: str) -> InputHandling:
        """How this run reads the `split` ("train" or "test") of its dataset."""
        limit = self.limit if split == "train" else self.val_limit
        return InputHandling(limit, self.subset_seed if limit is not None else None, self.pad_to)

    def digest(self) -> str:
        """A short hash of `identity()`, to recognise a run's own partial checkpoint."""
        text = json.dumps(self.identity(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def checkpoint_path(self) -> Path:
        """models/<net>-w<width>-<dataset>-<method>[-r<rate>][-<prune><sparsity>].safetensors"""
        if self.output is not None:
            return Path(self.output)
        from archsim.checkpoint import default_checkpoint_path

        tag: str = self.method
        if self.method in ("dropconnect", "oneshot", "progressive"):
            tag += f"-r{self.final_rate:g}"
        if self.method == "clipped":
            tag += f"-k{self.clip if self.clip is not None else DEFAULT_CLIP:g}"
        if self.prune is not None:
            tag += f"-{self.prune}{self.sparsity:g}"
        for noise in (self.variation, self.read_noise):  # e.g. -rram-wan2022:0.5
            tag += f"-{noise.replace(':', 'x')}" if noise else ""
        return default_checkpoint_path(self.model, self.width, self.dataset, tag, self.out_dir)


def make_spec(**fields: Any) -> TrainSpec:
    """A TrainSpec from keyword fields; a validation failure is one `UserError` line."""
    try:
        return TrainSpec(**fields)
    except ValidationError as exc:
        raise UserError(_one_line(exc)) from None


def _one_line(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = "--" + "-".join(str(p) for p in first.get("loc", ())).replace("_", "-")
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return (
        f"{message}{more}"
        if message.startswith("--") or " must " in message
        else (f"{where}: {message}{more}")
    )
