"""The Python API: one plain function per arrow of the data flow.

```
nn.Module --extract--> [LayerSpec] --map--> Mapping --estimate--> PerfResult
Mapping + FaultModel + seed --draw--> ChipFaults;  checkpoint + chips --evaluate--> accuracy
TrainSpec --train--> checkpoint;  checkpoint --recalibrate--> checkpoint with BatchNorm sets
SweepSpec --sweep--> store --pareto--> front --report--> PDF
checkpoint + fault model --vulnerability / tolerance--> stored study --report--> PDF
```

The CLI is a client of this package and of nothing else below it: each command parses its
options and calls a function of one submodule (`api.mapping`, `api.perf`, `api.faults`,
`api.defects`, `api.studies`, `api.training`, `api.sweeps`, `api.hardware`, `api.data`,
`api.nets`); scripts and notebooks call the names below. Values passed along are the
engines' frozen records.

Each name is imported from its submodule on first use, so `import archsim.api` (and a CLI
command that needs only a light submodule) does not import torch.
"""

from typing import TYPE_CHECKING

from archsim.lazy import lazy_exports

if TYPE_CHECKING:
    from archsim.api.data import Dataset as Dataset
    from archsim.api.data import get_dataset as get_dataset
    from archsim.api.faults import EvaluateSpec as EvaluateSpec
    from archsim.api.faults import draw as draw
    from archsim.api.faults import evaluate as evaluate
    from archsim.api.hardware import load_hardware as load_hardware
    from archsim.api.mapping import MapOptions as MapOptions
    from archsim.api.mapping import design_point as design_point
    from archsim.api.mapping import extract as extract
    from archsim.api.mapping import map_model as map_model
    from archsim.api.mapping import map_net as map_net
    from archsim.api.nets import get_net as get_net
    from archsim.api.perf import estimate as estimate
    from archsim.api.studies import DataOptions as DataOptions
    from archsim.api.studies import StudyPlan as StudyPlan
    from archsim.api.studies import tolerance as tolerance
    from archsim.api.studies import vulnerability as vulnerability
    from archsim.api.sweeps import SweepSpec as SweepSpec
    from archsim.api.sweeps import executor_names as executor_names
    from archsim.api.sweeps import pareto as pareto
    from archsim.api.sweeps import report as report
    from archsim.api.sweeps import run_pareto as run_pareto
    from archsim.api.sweeps import sweep as sweep
    from archsim.api.sweeps import sweep_presets as sweep_presets
    from archsim.api.sweeps import sweep_spec as sweep_spec
    from archsim.api.training import RecalibrateSpec as RecalibrateSpec
    from archsim.api.training import TrainSpec as TrainSpec
    from archsim.api.training import recalibrate as recalibrate
    from archsim.api.training import train as train

# public name -> the submodule that defines it
_HOMES = {
    "Dataset": "data", "get_dataset": "data",
    "EvaluateSpec": "faults", "draw": "faults", "evaluate": "faults",
    "load_hardware": "hardware",
    "MapOptions": "mapping", "design_point": "mapping", "extract": "mapping",
    "map_model": "mapping", "map_net": "mapping",
    "get_net": "nets",
    "estimate": "perf",
    "DataOptions": "studies", "StudyPlan": "studies", "tolerance": "studies",
    "vulnerability": "studies",
    "SweepSpec": "sweeps", "pareto": "sweeps", "report": "sweeps", "sweep": "sweeps",
    "executor_names": "sweeps", "run_pareto": "sweeps", "sweep_presets": "sweeps",
    "sweep_spec": "sweeps",
    "RecalibrateSpec": "training", "TrainSpec": "training", "recalibrate": "training",
    "train": "training",
}  # fmt: skip

__all__ = sorted(_HOMES)


__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
