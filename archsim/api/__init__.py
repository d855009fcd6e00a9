"""The Python API: one plain function per arrow of the data flow.

```
nn.Module --extract--> [LayerSpec] --map--> Mapping --simulate--> PerfResult
Mapping + FaultModel + seed --draw--> ChipFaults;  checkpoint + chips --evaluate--> accuracy
TrainSpec --train--> checkpoint;  checkpoint --recalibrate--> checkpoint with BatchNorm sets
SweepSpec --sweep--> store --pareto--> front --report--> PDF
checkpoint + fault model --vulnerability / tolerance--> stored study --report--> PDF
```

The CLI parses options and calls the engines behind these functions; scripts and notebooks
call them directly. Values passed along are the engines' frozen records.
"""

from collections.abc import Mapping as MappingABC
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from torch import nn

from archsim.config.hardware import load_hardware
from archsim.config.hwschema import HardwareConfig
from archsim.data import Dataset, get_dataset
from archsim.explore.ft_run import DataOptions, StudyPlan, tolerance_study, vulnerability_study
from archsim.explore.pareto import pareto_front
from archsim.explore.results import load_sweep
from archsim.explore.spec import SweepSpec, load_preset, load_spec
from archsim.explore.store import ResultsStore
from archsim.explore.sweep import SweepOutputs, run_sweep
from archsim.faults import ChipFaults, fault_sites, get_fault_model
from archsim.faults.chip import draw_chip
from archsim.faults.montecarlo import AccuracyResult
from archsim.faults.pipeline import EvaluateSpec
from archsim.faults.pipeline import evaluate as _evaluate
from archsim.mapping.graph import graph_layers
from archsim.mapping.mapper import map_model, map_net
from archsim.mapping.records import LayerSpec, Mapping
from archsim.nets import get_net
from archsim.perf import PerfResult
from archsim.perf import estimate as _estimate
from archsim.report.pdf import render_report
from archsim.train.recal_checkpoint import (
    RecalibrateSpec,
    RecalibrationResult,
    recalibrate_checkpoint,
)
from archsim.train.records import TrainResult
from archsim.train.runner import train as _train
from archsim.train.spec import TrainSpec

__all__ = [
    "DataOptions",
    "Dataset",
    "EvaluateSpec",
    "RecalibrateSpec",
    "StudyPlan",
    "SweepSpec",
    "TrainSpec",
    "design_point",
    "draw",
    "evaluate",
    "extract",
    "get_dataset",
    "get_net",
    "load_hardware",
    "map_model",
    "map_net",
    "pareto",
    "recalibrate",
    "report",
    "simulate",
    "sweep",
    "tolerance",
    "train",
    "vulnerability",
]


def extract(model: nn.Module, input_shape: Sequence[int]) -> list[LayerSpec]:
    """Every operation of `model`'s graph (conv, linear, BN, pool, add, F.relu, matmul, ...)
    seen in one forward pass; forward hooks for code torch.fx cannot trace."""
    return graph_layers(model, input_shape)


def design_point(
    model: nn.Module,
    input_shape: Sequence[int],
    hw: HardwareConfig | str,
    budget_chips: int = 1,
    *,
    replicate: bool = True,
    **map_options: Any,
) -> Mapping:
    """`model` mapped in a budget of `budget_chips` chips, replicated until its pipeline is
    balanced (`archsim.perf.balance`): the mapping `archsim map` and sweeps cost.

    `map_options` are `map_specs`'s: policy, overrides, model_name, width, budget_tiles.
    """
    from archsim.mapping.geometry import resolve_geometry
    from archsim.perf.balance import design_point as _design_point
    from archsim.perf.hw_costs import costs_from_hardware

    config = load_hardware(hw) if isinstance(hw, str) else hw
    return _design_point(graph_layers(model, input_shape), resolve_geometry(config),
                         costs_from_hardware(config), budget_chips, replicate,
                         input_shape=tuple(input_shape), **map_options)  # fmt: skip


def simulate(
    mapping: Mapping,
    hw: HardwareConfig | str,
    estimator: str = "des",
    images: int = 1,
) -> PerfResult:
    """Latency, throughput, energy and area of a mapped network (`des`, `analytic`, `paper`)."""
    return _estimate(mapping, hw, estimator, images)


def draw(
    model: nn.Module,
    mapping: Mapping,
    fault_model: str,
    rate: float,
    seed: int,
    chip: int,
) -> ChipFaults:
    """The fault map of chip `chip` drawn from `(seed, chip)` over the mapping's RRAM cells."""
    faults = get_fault_model(fault_model)
    sites = fault_sites(model, mapping)
    return draw_chip(sites, faults, rate, seed, chip, mapping.crossbar_rows, mapping.crossbar_cols)


def evaluate(spec: EvaluateSpec) -> list[AccuracyResult]:
    """Monte-Carlo accuracy of a checkpoint over simulated faulty chips, one result per rate."""
    return _evaluate(spec)


def train(spec: TrainSpec) -> TrainResult:
    """Train (standard, drop-connect, one-shot/progressive fault training, pruning)."""
    return _train(spec)


def recalibrate(spec: RecalibrateSpec) -> RecalibrationResult:
    """BatchNorm sets of a trained checkpoint per fault model and rate, written into it (or
    `spec.output`) atomically; defaults follow the checkpoint's training run."""
    return recalibrate_checkpoint(spec)


def sweep(
    spec: SweepSpec | str | Path,
    out: str | Path,
    executor: str = "local",
    jobs: int | None = None,
) -> SweepOutputs:
    """Run a sweep (a spec, a preset name or a YAML path) into `out`, resuming if present,
    and render its `report.pdf` there."""
    if not isinstance(spec, SweepSpec):
        path = Path(spec)
        spec = load_spec(path) if path.suffix in (".yaml", ".yml") else load_preset(str(spec))
    outputs = run_sweep(spec, Path(out), executor=executor, jobs=jobs, progress=False)
    render_report(outputs.data, Path(out) / "report.pdf")
    return outputs


def pareto(rows: Sequence[MappingABC[str, Any]]) -> list[dict[str, Any]]:
    """`rows` (accuracy, throughput_ips, energy_per_image_j, occupied_area_mm2) each flagged
    `on_front`."""
    return pareto_front(rows)


def report(store: str | Path, out: str | Path) -> Path:
    """Re-render the PDF report of a sweep's results store without recomputing anything."""
    with ResultsStore.open(Path(store), create=False) as opened:
        data = load_sweep(opened)
    return render_report(data, Path(out))


def vulnerability(
    checkpoint: str,
    fault_model: str = "dropconnect",
    rate: float = 0.1,
    chips: int = 20,
    *,
    seed: int = 0,
    data: DataOptions | None = None,
    batch_size: int = 256,
) -> dict[str, Any]:
    """Per-layer vulnerability of a checkpoint (the loss when only that layer is faulty, on
    the same chips and images for every layer) with each layer's CPU cost, ranked."""
    from archsim.faults.models import check_rate

    return vulnerability_study(
        checkpoint,
        get_fault_model(fault_model),
        check_rate(rate),
        chips,
        seed,
        data or DataOptions(),
        batch_size,
    )


def tolerance(
    checkpoints: Sequence[tuple[str, str]],
    plan: StudyPlan,
    fault_model: str = "dropconnect",
    rate: float = 0.1,
    chips: int = 20,
    *,
    seed: int = 0,
    data: DataOptions | None = None,
    table: MappingABC[str, Any] | None = None,
    batch_size: int = 256,
) -> dict[str, Any]:
    """Fault-tolerance techniques (placement, remapping, spare columns) on (label,
    checkpoint) pairs, paired on the same chips, with their hardware costs."""
    from archsim.faults.models import check_rate

    return tolerance_study(
        list(checkpoints),
        plan,
        get_fault_model(fault_model),
        check_rate(rate),
        chips,
        seed,
        data or DataOptions(),
        dict(table) if table is not None else None,
        batch_size,
    )
