"""Fault simulator: stuck-at fault models, chip fault maps, injection, Monte-Carlo, metrics.

Flow: `fault_sites(model, mapping)` (the RRAM layers) -> `ChipDrawer(...).draw(rate, seed,
chip)` (one chip's fault map) -> `FaultInjector(model, mapping).applied(chip)` (the model
computes as that chip) -> `run_chips(...)` (accuracy statistics over chips). Training-time
faults: `sample_faulty_weights` / `sample_model_faults`.
"""

from archsim.faults.bnsets import bn_set_key, select_bn_set
from archsim.faults.chip import ChipDrawer, draw_chip
from archsim.faults.faultmap import load_fault_map, save_fault_map
from archsim.faults.inject import (
    FaultInjector,
    rram_layer_names,
    sample_faulty_weights,
    sample_model_faults,
)
from archsim.faults.metrics import accuracy_vs_rate, stability_score, stability_table
from archsim.faults.models import STUCK_OFF, STUCK_ON, FaultModel, check_rate
from archsim.faults.montecarlo import (
    AccuracyResult,
    ChipPlan,
    MonteCarloSpec,
    RunInfo,
    accuracy,
    run_chips,
)
from archsim.faults.presets import PRESETS, get_fault_model
from archsim.faults.quantize import QuantizedWeight, quantize_weight
from archsim.faults.records import ChipFaults, LayerFaults
from archsim.faults.sites import CellFormat, FaultSite, cell_format, cell_formats, fault_sites

__all__ = [
    "PRESETS",
    "STUCK_OFF",
    "STUCK_ON",
    "AccuracyResult",
    "CellFormat",
    "ChipDrawer",
    "ChipFaults",
    "ChipPlan",
    "FaultInjector",
    "FaultModel",
    "FaultSite",
    "LayerFaults",
    "MonteCarloSpec",
    "QuantizedWeight",
    "RunInfo",
    "accuracy",
    "accuracy_vs_rate",
    "bn_set_key",
    "cell_format",
    "cell_formats",
    "check_rate",
    "draw_chip",
    "fault_sites",
    "get_fault_model",
    "load_fault_map",
    "quantize_weight",
    "rram_layer_names",
    "run_chips",
    "sample_faulty_weights",
    "sample_model_faults",
    "save_fault_map",
    "select_bn_set",
    "stability_score",
    "stability_table",
]
