"""A checkpoint's mapping and fault sites, as `evaluate` builds them: what a measured
defect map is imported against and exported from (`archsim faults import / export`)."""

import math
from dataclasses import dataclass
from pathlib import Path

from archsim.errors import UserError
from archsim.faults.faultmap import save_fault_map
from archsim.faults.labformats import export_defect_map
from archsim.faults.records import ChipFaults
from archsim.faults.replicas import Balancer
from archsim.faults.sites import FaultSite, fault_sites
from archsim.mapping.records import Mapping


@dataclass(frozen=True)
class Target:
    """Where a defect map lands: the checkpoint's mapping and its RRAM layers."""

    mapping: Mapping
    sites: tuple[FaultSite, ...]


def checkpoint_target(
    checkpoint: str,
    hardware: str | None = None,
    policy: str | None = None,
    overrides: tuple[str, ...] = (),
    model: str | None = None,
    balance: Balancer | None = None,
) -> Target:
    """The mapping `archsim evaluate --checkpoint` would fault, with the same defaults (the
    checkpoint's hardware and placement; `balance`: evaluate's design point of it, every
    replica a site). Crossbar blocks depend on the weight matrices only, so the recorded
    input shape (padded as trained) gives evaluate's blocks."""
    from archsim.checkpoint import load_checkpoint
    from archsim.config.hardware import load_hardware
    from archsim.faults.checkpoint_checks import placement
    from archsim.faults.pipeline import DEFAULT_HARDWARE, EvaluateSpec
    from archsim.mapping.mapper import map_model
    from archsim.mapping.options import MapOptions

    net, meta, _ = load_checkpoint(Path(checkpoint), model=model)
    spec = EvaluateSpec(
        checkpoint=checkpoint, hardware=hardware, policy=policy, overrides=overrides
    )
    trained = meta.get("hardware")
    chosen = hardware or (trained if isinstance(trained, str) and trained else DEFAULT_HARDWARE)
    policy_name, all_overrides, _ = placement(spec, meta)
    shape = list(meta.get("input_shape") or ())
    if not shape and meta.get("dataset"):  # older checkpoints: the dataset's declared shape
        from archsim.data.registry import get_source

        shape = list(get_source(str(meta["dataset"])).input_shape)
    pad = (meta.get("input") or {}).get("pad_to")
    if len(shape) == 3 and pad:
        shape = [shape[0], max(shape[1], pad), max(shape[2], pad)]
    if not shape or not all(isinstance(d, int) and d > 0 for d in shape) or math.prod(shape) == 0:
        raise UserError(f"{checkpoint} records no input shape to map the net with")
    hw = load_hardware(chosen)
    mapping = map_model(net, tuple(shape), hw,
                        options=MapOptions(policy=policy_name, overrides=all_overrides),
                        model_name=meta["net"], width=float(meta["width"]))  # fmt: skip
    if balance is not None:
        mapping = balance(net, mapping, hw)
    return Target(mapping, fault_sites(net, mapping))


def write_any_fault_map(path: str | Path, chip: ChipFaults, target: Target) -> Path:
    """`.safetensors` (archsim's format), `.npz` or `.csv` (physical cell positions)."""
    if Path(path).suffix == ".safetensors":
        return save_fault_map(path, chip, target.mapping)
    return export_defect_map(path, chip, target.sites, target.mapping)
