"""A weight-granularity fault map seen block by block: each crossbar block's codes and faults.

Technique modules (spare columns, remapping) rewrite which weight a faulty cell ends up under;
they need, per crossbar block of every replica, the block's quantized codes as a (rows, cols)
matrix and its faulty slots. A fault at flat weight index i of a site lies in matrix column
c = (i // rows) % cols of group g = i // (rows * cols) at matrix row r = i % rows (PyTorch's
`weight.reshape(cout, -1)`, transposed, see `mapping/records.py`), so in block b at slot
(r - b.row_start, c - b.col_start); a replicated site's map counts replica b.replica's
weights from b.replica x (the weights of one copy) on. Only weight-granularity maps are
handled: a cell map's harm depends on bit slices that these techniques do not model (they
refuse it, one line).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from archsim.errors import UserError
from archsim.faults.models import STUCK_OFF, STUCK_ON
from archsim.faults.quantize import QuantizedWeight
from archsim.faults.records import ChipFaults, LayerFaults
from archsim.faults.sites import FaultSite
from archsim.mapping.records import CrossbarBlock


@dataclass(frozen=True)
class BlockFaults:
    """One crossbar block: its codes (rows, cols), stuck-off / stuck-on slot masks."""

    block: CrossbarBlock
    codes: np.ndarray  # int64 (weight_rows, weight_cols), logical layout
    off: np.ndarray  # float64 (weight_rows, weight_cols): 1 where the slot is stuck off
    on: np.ndarray  # float64, 1 where stuck on
    where: np.ndarray  # int64 (weight_rows, weight_cols): `block_matrix_index` of the block

    @property
    def faults(self) -> int:
        return int(self.off.sum() + self.on.sum())


def check_weight_map(chip: ChipFaults, what: str) -> None:
    if chip.kind != "weight":
        raise UserError(
            f"{what} needs a weight-granularity fault map (e.g. dropconnect, sft, "
            f"stuck-on); {chip.fault_model} draws {chip.kind} faults"
        )


def block_matrix_index(site: FaultSite, block: CrossbarBlock) -> np.ndarray:
    """Flat weight index of every slot of `block` (in its replica's copy of the weights):
    int64 (weight_rows, weight_cols)."""
    r = np.arange(block.row_start, block.row_end)[:, None]
    c = np.arange(block.col_start, block.col_end)[None, :]
    return site.weight_index(block, r, c)


def harm(codes: np.ndarray, qmax: int) -> tuple[np.ndarray, np.ndarray]:
    """|code change| of each weight if its slot is stuck off (-> 0) and stuck on (-> +-qmax,
    sign kept, zero counts positive): (|w|, qmax - |w|) as float64."""
    magnitude = np.abs(codes).astype(np.float64)
    return magnitude, qmax - magnitude


def block_faults(site: FaultSite, codes: Tensor, chip: ChipFaults) -> list[BlockFaults]:
    """Every block of `site` (every replica's) with its codes and its faulty slots."""
    flat_codes = codes.reshape(-1).cpu().numpy()
    states = np.zeros(flat_codes.shape[0] * site.copies, dtype=np.int8)
    layer = chip.layers.get(site.name)
    if layer is not None and layer.faults:
        states[layer.index.cpu().numpy()] = layer.kind.cpu().numpy()
    out = []
    for block in site.blocks:
        where = block_matrix_index(site, block)
        s = states[where]
        out.append(
            BlockFaults(
                block,
                flat_codes[where % flat_codes.shape[0]],
                (s == STUCK_OFF).astype(np.float64),
                (s == STUCK_ON).astype(np.float64),
                where,
            )
        )
    return out


def layer_from_slots(
    site: FaultSite, index: list[np.ndarray], kind: list[np.ndarray]
) -> tuple[Tensor, Tensor]:
    """(sorted flat index, kinds) tensors of a rebuilt layer fault map."""
    flat = np.concatenate(index) if index else np.zeros(0, np.int64)
    kinds = np.concatenate(kind) if kind else np.zeros(0, np.int8)
    order = np.argsort(flat, kind="stable")
    return (
        torch.from_numpy(flat[order].astype(np.int64)),
        torch.from_numpy(kinds[order].astype(np.int8)),
    )


# (site, block number, the block's faults, the layer's qmax) -> the block's stuck-off and
# stuck-on masks after a technique moved its weights, in the logical layout (nonzero: stuck)
BlockMove = Callable[[FaultSite, int, BlockFaults, int], tuple[np.ndarray, np.ndarray]]


def moved_chip(
    sites: tuple[FaultSite, ...],
    quantized: Mapping[str, QuantizedWeight],
    chip: ChipFaults,
    move: BlockMove,
    tolerance: str,
) -> ChipFaults:
    """`chip` with every block of every faulted site as `move` leaves it (spare columns,
    remapping), its meta's `tolerance` naming the technique."""
    layers: dict[str, LayerFaults] = dict(chip.layers)
    for site in sites:
        if site.name not in layers:
            continue
        q = quantized[site.name]
        index: list[np.ndarray] = []
        kinds: list[np.ndarray] = []
        for b, bf in enumerate(block_faults(site, q.codes, chip)):
            if bf.faults == 0:  # no stuck slot: nothing to move, no harm, no spare used
                continue
            for mask, kind in zip(move(site, b, bf, q.qmax), (STUCK_OFF, STUCK_ON), strict=True):
                hit = mask > 0
                index.append(bf.where[hit])
                kinds.append(np.full(int(hit.sum()), kind, np.int8))
        flat, flat_kinds = layer_from_slots(site, index, kinds)
        layers[site.name] = LayerFaults(layers[site.name].shape, flat, flat_kinds)
    meta = {**chip.meta, "tolerance": tolerance}
    return ChipFaults(chip.kind, layers, chip.fault_model, chip.rate, chip.seed, chip.chip, meta)
