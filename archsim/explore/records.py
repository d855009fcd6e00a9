"""The typed rows of a sweep's tables, built once when its results are loaded
(`results.load_sweep`): what the CSV files and the report's pages read.

Every row is a frozen keyword-only dataclass. The CSV files' columns are the rows' fields in
declaration order (`csv_columns`); a field marked `hidden()` (per-chip lists, curves, flags the
pages need) is left out, and a field whose name cannot be the column's (`yield` is a Python
keyword) names its column in `column()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from typing import Any, TypedDict

CSV = "csv"  # metadata key: False leaves the field out of the CSV file
COLUMN = "column"  # metadata key: the CSV column's name, where it is not the field's


def hidden(default: Any = MISSING, factory: Any = MISSING) -> Any:
    """A field the pages read that the CSV file leaves out."""
    if factory is not MISSING:
        return field(default_factory=factory, metadata={CSV: False})
    return field(default=default, metadata={CSV: False})


def column(name: str, default: Any = MISSING) -> Any:
    """A field written to the CSV file under the column `name`."""
    return field(default=default, metadata={COLUMN: name})


def _exported(cls: type) -> list[Field[Any]]:
    return [f for f in fields(cls) if f.metadata.get(CSV, True)]


def csv_columns(cls: type) -> tuple[str, ...]:
    """The CSV columns of the row class `cls`, in field order."""
    return tuple(f.metadata.get(COLUMN, f.name) for f in _exported(cls))


def csv_row(row: Any) -> dict[str, Any]:
    """`row`'s CSV cells by column (the values themselves, unformatted)."""
    return {f.metadata.get(COLUMN, f.name): getattr(row, f.name) for f in _exported(type(row))}


class PointFields(TypedDict):
    """The design-point fields every row of a trained point starts with."""

    model: str
    hardware: str  # the hardware variant's reference (`spec.Cost.references`)
    net: str
    width: float
    dataset: str
    method: str
    train_rate: float
    prune: str
    recalibrate: bool
    policy: str
    train_seed: int


def point_fields(point: Mapping[str, Any]) -> PointFields:
    """A job's stored design point (`Evaluation.point`, `Training.point`) as row fields."""
    return PointFields(
        model=point["model"],
        hardware=point["hardware"],
        net=point["net"],
        width=point["width"],
        dataset=point["dataset"],
        method=point["method"],
        train_rate=point["train_rate"],
        prune=point["prune"],
        recalibrate=point["recalibrate"],
        policy=point["policy"],
        train_seed=point["train_seed"],
    )


class AccuracyStats(TypedDict):
    """An evaluation's accuracy over chips, as every accuracy row holds it."""

    mean: float
    std: float | None
    ci_low: float | None
    ci_high: float | None
    p5: float
    p50: float
    p95: float


def accuracy_stats(result: Mapping[str, Any]) -> AccuracyStats:
    """A stored evaluate or tolerance result's accuracy statistics as row fields."""
    return AccuracyStats(
        mean=result["mean"],
        std=result.get("std"),
        ci_low=result.get("ci_low"),
        ci_high=result.get("ci_high"),
        p5=result["p5"],
        p50=result["p50"],
        p95=result["p95"],
    )


@dataclass(frozen=True, kw_only=True)
class Precision:
    """The precision and cells of the hardware an accuracy job ran on, as it recorded them
    (`explore/kinds.hardware_record`)."""

    weight_bits: int
    input_bits: int
    dac_bits: int
    adc_bits: int
    bits_per_cell: int
    rows: int
    cols: int

    @classmethod
    def from_result(cls, recorded: Mapping[str, Any] | None) -> Precision | None:
        """None for a result stored before jobs recorded their hardware."""
        if not recorded:
            return None
        return cls(**{f.name: int(recorded[f.name]) for f in fields(cls)})


@dataclass(frozen=True, kw_only=True)
class AccuracyRow:
    """One evaluated design point at one fault rate (a row of results.csv): its accuracy over
    the sweep's chips, the cost of its placement and its training's clean accuracy."""

    model: str
    hardware: str  # the variant evaluated and costed: its reference (`spec.Cost.references`)
    net: str
    width: float
    dataset: str
    method: str
    train_rate: float
    prune: str
    recalibrate: bool
    policy: str
    fault_rate: float
    mean: float
    std: float | None
    ci_low: float | None
    ci_high: float | None
    p5: float
    p50: float
    p95: float
    yield_fraction: float | None = column("yield", None)
    chips: int
    clean_acc: float | None
    float_acc: float | None
    quant_acc: float | None
    realised_fraction: float | None
    bn_set: str | None
    throughput_ips: float | None
    latency_s: float | None
    energy_per_image_j: float | None
    dynamic_energy_j: float | None  # the accelerator's actions (links and CPU apart)
    static_energy_j: float | None  # static power x interval (assumed static shares)
    images_per_j: float | None
    occupied_area_mm2: float | None
    provisioned_area_mm2: float | None
    budget_chips: int | None
    budget_tiles: int | None
    bottleneck: str | None
    evaluate_key: str
    train_key: str
    train_seed: int
    per_chip: tuple[float, ...] = hidden(())  # chip i is the same chip for every model
    fault_model: str = hidden("")  # set on the compare-fault-model rows only
    # what the job recorded of its hardware (hidden: results.csv names the variant)
    precision: Precision | None = field(default=None, metadata={CSV: False})


@dataclass(frozen=True, kw_only=True)
class Layer:
    """One weight layer of a mapped net and where it runs."""

    name: str
    kind: str
    target: str  # "rram" or "cpu"


@dataclass(frozen=True, kw_only=True)
class CostRow:
    """One net, width and placement mapped and costed on one hardware variant (a row of
    costs.csv)."""

    model: str
    hardware: str
    net: str = hidden()
    width: float
    policy: str
    estimator: str
    paper_setting: bool  # costed in the drop-connect paper's Table II setting
    throughput_ips: float
    latency_s: float
    energy_per_image_j: float
    dynamic_energy_j: float | None
    static_energy_j: float | None
    images_per_j: float | None
    occupied_area_mm2: float
    provisioned_area_mm2: float | None
    budget_chips: int | None
    budget_tiles: int | None = hidden()
    bottleneck: str | None
    crossbars: int
    imas: int | None
    tiles: int | None
    chips: int | None
    utilization: float | None
    rram_macs: int | None
    cpu_macs: int | None
    total_macs: int | None
    rram_layers: int | None
    cpu_layers: int | None
    images: int = hidden()
    time_for_images_s: float = hidden()
    layers: tuple[Layer, ...] = hidden(())


@dataclass(frozen=True, kw_only=True)
class Curves:
    """A training run's per-epoch curves (empty for a run that recorded none)."""

    epoch: tuple[int, ...] = ()
    train_loss: tuple[float, ...] = ()
    val_acc: tuple[float, ...] = ()
    val_fault_acc: tuple[float, ...] = ()  # mean over the fixed faulty validation chips
    val_fault_rate: float | None = None

    @classmethod
    def from_result(cls, curves: Mapping[str, Any]) -> Curves:
        return cls(
            epoch=tuple(curves.get("epoch") or ()),
            train_loss=tuple(curves.get("train_loss") or ()),
            val_acc=tuple(curves.get("val_acc") or ()),
            val_fault_acc=tuple(curves.get("val_fault_acc") or ()),
            val_fault_rate=curves.get("val_fault_rate"),
        )


@dataclass(frozen=True, kw_only=True)
class TrainingRow:
    """One training run of the sweep (on the sweep's reference hardware)."""

    model: str
    hardware: str
    net: str
    width: float
    dataset: str
    method: str
    train_rate: float
    prune: str
    recalibrate: bool
    policy: str
    train_seed: int
    clean_acc: float | None
    curves: Curves
    train_key: str


@dataclass(frozen=True, kw_only=True)
class ParetoRow:
    """One design point (or tolerance point) at one Pareto fault rate with its objectives
    (a row of pareto.csv when it is on the front)."""

    fault_rate: float
    model: str
    hardware: str
    width: float
    method: str
    train_rate: float
    prune: str
    recalibrate: bool
    policy: str
    tolerance: str  # the technique of a `tolerance` axis point, "" for a design point
    metric: str  # which accuracy statistic over chips `accuracy` is
    accuracy: float
    throughput_ips: float
    energy_per_image_j: float
    occupied_area_mm2: float
    bn_set: str | None = None  # the BatchNorm statistics the accuracy was measured with
    over_budget: bool = False  # occupies more than its budget: kept off the front
    on_front: bool = hidden(False)
    # the accuracy's spread over chips, for the answer page
    ci_low: float | None = hidden(None)
    ci_high: float | None = hidden(None)
    per_chip: tuple[float, ...] = hidden(())


@dataclass(frozen=True, kw_only=True)
class SweepRun:
    """One run of the sweep over its store (the title page's provenance table)."""

    id: int
    status: str
    executor: str
    archsim_version: str
    git_commit: str
    host: str
    started_at: float | None
    finished_at: float | None
    jobs_run: int | None
    jobs_total: int

    @classmethod
    def from_store(cls, row: Mapping[str, Any]) -> SweepRun:
        return cls(**{f.name: row[f.name] for f in fields(cls)})
