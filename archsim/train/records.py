"""Results of training: one record per epoch (the training curves) and one per run."""

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from archsim.train.spec import TrainSpec


@dataclass(frozen=True)
class EpochRecord:
    """One epoch: training loss/accuracy and validation fault-free and on fixed chips (%)."""

    epoch: int
    phase: str
    stage: int
    rate: float  # training perturbation rate (drop-connect or fault rate)
    lr: float  # learning rate at the epoch's first step
    train_loss: float
    train_acc: float
    val_acc: float  # fault-free (float weights, running BatchNorm statistics)
    chip_accs: tuple[float, ...]  # the fixed validation chips
    val_rate: float
    seconds: float

    @property
    def chip_mean(self) -> float | None:
        return sum(self.chip_accs) / len(self.chip_accs) if self.chip_accs else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "EpochRecord":
        return cls(**{**data, "chip_accs": tuple(data["chip_accs"])})


@dataclass(frozen=True)
class TrainResult:
    """What `train(spec)` returns: where the checkpoint is and how training went."""

    checkpoint: Path
    spec: TrainSpec  # resolved: every default filled in
    curves: tuple[EpochRecord, ...]
    rram_layers: tuple[str, ...]
    bn_sets: tuple[str, ...]  # keys of the recalibrated BatchNorm sets
    sparsity: float | None  # achieved sparsity of the RRAM layers when pruned
    seconds: float  # wall time of this call
    resumed_from: int  # epochs already done when this call started
    cached: bool  # the checkpoint was already complete for this spec

    @property
    def val_acc(self) -> float | None:
        return self.curves[-1].val_acc if self.curves else None

    @property
    def chip_acc(self) -> float | None:
        return self.curves[-1].chip_mean if self.curves else None

    def row(self) -> dict[str, Any]:
        """A flat summary (CLI output, sweep store)."""
        s = self.spec
        return {
            "checkpoint": str(self.checkpoint),
            "model": s.model,
            "width": s.width,
            "card": s.card or "(built-in recipe)",
            "options": " ".join(f"{k}={v}" for k, v in s.options.items()) or "(none)",
            "dataset": s.dataset,
            "hardware": s.hardware,
            "policy": " ".join((s.policy, *s.overrides)),
            "input": f"pad to {s.pad_to}x{s.pad_to}" if s.pad_to else "as stored",
            "method": s.method,
            "rate": s.final_rate,
            "epochs": len(self.curves),
            "val_acc": self.val_acc,
            "chip_acc": self.chip_acc,
            "val_rate": s.val_rate,
            "val_chips": s.val_chips,
            "bn_sets": ",".join(self.bn_sets),
            "sparsity": self.sparsity,
            "seconds": round(self.seconds, 2),
            "cached": self.cached,
        }
