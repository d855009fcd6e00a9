"""The typed rows of a sweep's tables, built once when its results are loaded
(`results.load_sweep`): what the CSV files and the report's pages read.

Every row is a frozen keyword-only dataclass, written and read through `codec`. A row of a
trained point nests its `DesignPoint` and, for an accuracy over chips, its `Stats`, both
written in place (`codec.flat`): the CSV files' columns are the rows' fields in declaration
order (`codec.csv_columns`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from archsim.explore.codec import decode_record, flat, hidden, named

if TYPE_CHECKING:
    from archsim.faults.stats import Summary


@dataclass(frozen=True, kw_only=True)
class DesignPoint:
    """One trained design point: a net at a width, trained by a method (at a rate, pruned,
    BatchNorm-recalibrated or not) with a seed, placed by a policy on a hardware variant. Every
    row of a trained point nests it (`point`), as its jobs stored it (`Evaluation.point`)."""

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

    @classmethod
    def stored(cls, point: Mapping[str, Any]) -> DesignPoint:
        """A job's stored design point (its other keys passed over)."""
        return decode_record(cls, dict(point), "point", extra=True)


@dataclass(frozen=True, kw_only=True)
class Stats:
    """An accuracy over chips (percent): mean, sample deviation and its 95% Student-t interval
    (None below two chips), percentiles, and the yield at the spec's threshold (None without
    one), as the evaluate and tolerance jobs store them."""

    mean: float
    std: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p5: float
    p50: float
    p95: float
    yield_fraction: float | None = named("yield", None)

    @classmethod
    def stored(cls, result: Mapping[str, Any]) -> Stats:
        """A stored evaluate or tolerance result's statistics (its other keys passed over)."""
        return decode_record(cls, dict(result), "result", extra=True)

    @classmethod
    def of(cls, s: Summary) -> Stats:
        """The statistics of per-chip accuracies `faults.stats.summarize` computed."""
        return cls(
            mean=s.mean,
            std=s.std,
            ci_low=s.ci_low,
            ci_high=s.ci_high,
            p5=s.p5,
            p50=s.p50,
            p95=s.p95,
            yield_fraction=s.yield_fraction,
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
        return decode_record(cls, dict(recorded), "hardware", extra=True)


@dataclass(frozen=True, kw_only=True)
class AccuracyRow:
    """One evaluated design point at one fault rate (a row of results.csv): its accuracy over
    the sweep's chips, the cost of its placement and its training's clean accuracy."""

    CSV_LAST: ClassVar[tuple[str, ...]] = ("train_seed",)

    point: DesignPoint = flat(skip=("train_seed",))  # the variant evaluated and costed
    fault_rate: float
    stats: Stats = flat()
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
    per_chip: tuple[float, ...] = hidden(())  # chip i is the same chip for every model
    fault_model: str = hidden("")  # set on the compare-fault-model rows only
    # what the job recorded of its hardware (hidden: results.csv names the variant)
    precision: Precision | None = hidden(None)


@dataclass(frozen=True, kw_only=True)
class Layer:
    """One weight layer of a mapped net and where it runs."""

    name: str
    kind: str
    target: str  # "rram" or "cpu"


@dataclass(frozen=True, kw_only=True)
class CostRow:
    """One net, width and placement mapped and costed on one hardware variant (a row of
    costs.csv): its map and simulate jobs' results (None: a value not stored)."""

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
    dynamic_energy_j: float | None = None
    static_energy_j: float | None = None
    images_per_j: float | None = None
    occupied_area_mm2: float
    provisioned_area_mm2: float | None = None
    budget_chips: int | None = None
    budget_tiles: int | None = hidden(None)
    bottleneck: str | None = None
    crossbars: int
    imas: int | None = None
    tiles: int | None = None
    chips: int | None = None
    utilization: float | None = None
    rram_macs: int | None = None
    cpu_macs: int | None = None
    total_macs: int | None = None
    rram_layers: int | None = None
    cpu_layers: int | None = None
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

    point: DesignPoint = flat()
    clean_acc: float | None
    curves: Curves
    train_key: str


@dataclass(frozen=True, kw_only=True)
class ParetoRow:
    """One design point (or tolerance point) at one Pareto fault rate with its objectives
    (a row of pareto.csv when it is on the front)."""

    fault_rate: float
    point: DesignPoint = flat(skip=("net", "dataset", "train_seed"))
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
        return decode_record(cls, dict(row), "sweep", extra=True)
