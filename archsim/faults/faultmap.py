"""Fault maps on disk: one `.safetensors` file per chip, so a measured defect map of a real
chip can be evaluated like a simulated one.

Format: one int8 tensor per RRAM layer, named by the layer's qualified module name, holding
0 (ok), 1 (stuck-off) or 2 (stuck-on); shape = the weight's shape ("weight" maps) or the
weight's shape plus a last dimension of `cells_per_weight` cells ("cell" maps, cells in crossbar
row order: MSB slice first; with differential encoding the positive array's cells first).
The header's metadata key `archsim.faultmap` holds JSON: {"format": "archsim-faultmap",
"version": 1, "kind": "weight"|"cell", "model", "width", "layers": {name: shape}, ...}.
"""

import json
from collections.abc import Mapping as MetaView
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from archsim.atomic import atomic_write
from archsim.errors import UserError
from archsim.faults.models import STUCK_ON
from archsim.faults.records import ChipFaults, LayerFaults
from archsim.faults.sites import FaultSite
from archsim.mapping.records import Mapping

FORMAT = "archsim-faultmap"
META_KEY = "archsim.faultmap"


def save_fault_map(path: str | Path, chip: ChipFaults, mapping: Mapping) -> Path:
    """Write `chip`'s fault map atomically, with metadata naming the mapping it belongs to."""
    meta: dict[str, Any] = {
        "format": FORMAT,
        "version": 1,
        "kind": chip.kind,
        "model": mapping.model,
        "width": mapping.width,
        "hardware": mapping.hardware,
        "policy": mapping.policy,
        "weight_bits": mapping.weight_bits,
        "bits_per_cell": mapping.bits_per_cell,
        "encoding": mapping.encoding,
        "fault_model": chip.fault_model,
        "rate": chip.rate,
        "seed": chip.seed,
        "chip": chip.chip,
        "layers": {name: list(lf.shape) for name, lf in chip.layers.items()},
    }
    tensors = {name: states.contiguous() for name, states in chip.dense().items()}
    return atomic_write(
        path, lambda tmp: save_file(tensors, str(tmp), metadata={META_KEY: json.dumps(meta)})
    )


def _read(path: Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    if not path.is_file():
        raise UserError(f"fault map not found: {path}")
    try:
        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    except Exception as exc:  # safetensors raises several types for a damaged header
        raise UserError(f"{path} is not a readable fault map ({type(exc).__name__})") from None
    try:
        meta = json.loads(header[META_KEY])
    except (KeyError, json.JSONDecodeError):
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise UserError(f"{path} is not an archsim fault map (no {META_KEY} metadata)")
    return meta, tensors


def check_made_for(path: str | Path, meta: MetaView[str, object], model: str, width: float) -> None:
    """Refuse a fault map whose metadata names another model or width than the checkpoint's."""
    named = (meta.get("model"), meta.get("width"))
    if named[0] is not None and (named[0] != model or named[1] != width):
        raise UserError(
            f"fault map {path} was made for {named[0]} at width {named[1]}; "
            f"the checkpoint is {model} at width {width}"
        )


def load_fault_map(
    path: str | Path, sites: tuple[FaultSite, ...], mapping: Mapping | None = None
) -> ChipFaults:
    """Read a fault map and check it fits `sites` (the mapping's RRAM layers) exactly; with
    `mapping`, a map made for another model or width is refused first, by name."""
    path = Path(path)
    meta, tensors = _read(path)
    if mapping is not None:
        check_made_for(path, meta, mapping.model, mapping.width)
    kind = meta.get("kind")
    if kind not in ("weight", "cell"):
        raise UserError(f"fault map {path}: kind must be 'weight' or 'cell', got {kind!r}")
    expected = {s.name: s.weights_shape if kind == "weight" else s.cell_shape for s in sites}
    if set(tensors) != set(expected):
        extra, missing = sorted(set(tensors) - set(expected)), sorted(set(expected) - set(tensors))
        raise UserError(
            f"fault map {path} does not match the mapping's RRAM layers "
            f"(missing {missing[:3]}, unexpected {extra[:3]})"
        )
    for name, shape in expected.items():
        states = tensors[name]
        if tuple(states.shape) != shape:
            copies = (
                " (a replicated layer holds one copy per replica)"
                if len(shape) > len(states.shape)
                else ""
            )
            raise UserError(
                f"fault map {path}: layer {name!r} has shape {tuple(states.shape)}, "
                f"the mapping needs {shape}{copies}"
            )
        if states.dtype.is_floating_point or bool(((states < 0) | (states > STUCK_ON)).any()):
            raise UserError(f"fault map {path}: layer {name!r} holds states other than 0, 1, 2")
    return ChipFaults(
        kind,
        {k: LayerFaults.from_dense(v.to(torch.int8)) for k, v in tensors.items()},
        str(meta.get("fault_model", "measured")),
        meta.get("rate"),
        meta.get("seed"),
        meta.get("chip"),
        meta,
    )
