"""What stuck units do to quantized weights: exact integer arithmetic, O(number of faults).

Codes are int64 tensors of quantized weights in [-qmax, qmax]. A stuck cell changes its
weight by (stuck value - held value) * 2**shift, negated in a differential encoding's negative
array; several stuck cells of one weight add up, since a weight is the sum of its slices.
Indices may count several copies of the weights (a replicated layer's copy dimension, see
sites.py): copy c's weight i is c x numel + i, and holds the code of weight i.
"""

import torch
from torch import Tensor

from archsim.faults.models import OK, STUCK_ON
from archsim.faults.sites import CellFormat


def weight_faults(
    codes_flat: Tensor, index: Tensor, kind: Tensor, qmax: int
) -> tuple[Tensor, Tensor]:
    """Per-weight faults at flat `index`: (those indices, their new codes). Stuck-off -> 0,
    stuck-on -> +-qmax keeping the sign (a zero weight counts as positive)."""
    if not bool((kind == STUCK_ON).any()):  # every fault stuck-off (drop-connect)
        return index, torch.zeros(len(index), dtype=codes_flat.dtype, device=index.device)
    held = codes_flat[index % codes_flat.numel()]
    stuck_on = torch.where(held < 0, -qmax, qmax).to(held.dtype)
    return index, torch.where(kind == STUCK_ON, stuck_on, torch.zeros_like(held))


def weight_effect(codes: Tensor, index: Tensor, kind: Tensor, qmax: int) -> Tensor:
    """`codes` with the per-weight faults at flat `index` applied."""
    flat = codes.reshape(-1).clone()
    where, new = weight_faults(flat, index, kind, qmax)
    flat[where] = new
    return flat.reshape(codes.shape)


def _cells_of(
    codes_flat: Tensor, weight: Tensor, cell: Tensor, fmt: CellFormat
) -> tuple[Tensor, Tensor, Tensor]:
    """(value held, bit shift, +1/-1 array sign) of the given cells of the given weights."""
    held = codes_flat[weight % codes_flat.numel()]
    if fmt.encoding == "offset":
        magnitude, slot, sign = held + (1 << (fmt.weight_bits - 1)), cell, torch.ones_like(held)
    else:
        negative = cell >= fmt.slices
        magnitude = torch.where(negative, -held, held).clamp(min=0)
        slot = torch.where(negative, cell - fmt.slices, cell)
        sign = torch.where(negative, -1, 1).to(held.dtype)
    shift = fmt.bits_per_cell * (fmt.slices - 1 - slot)  # MSB slice first along the row
    value = (magnitude >> shift) & ((1 << fmt.bits_per_cell) - 1)
    return value, shift, sign


def cell_faults(
    codes_flat: Tensor, index: Tensor, kind: Tensor, fmt: CellFormat
) -> tuple[Tensor, Tensor]:
    """Per-cell faults at flat `index` into (weights, cells): (the flat indices of the weights
    with a stuck cell, the codes they read). Codes may leave [-qmax, qmax]: a stuck-on high
    slice adds more than the quantizer's range, which is what the crossbar computes."""
    cells = fmt.cells_per_weight
    weight, cell = index // cells, index % cells
    flat = codes_flat.to(torch.int64)
    value, shift, sign = _cells_of(flat, weight, cell, fmt)
    stuck = torch.where(kind == STUCK_ON, (1 << fmt.bits_per_cell) - 1, 0).to(value.dtype)
    hit, inverse = torch.unique(weight, return_inverse=True)
    return hit, flat[hit % flat.numel()].index_add_(0, inverse, sign * ((stuck - value) << shift))


def cell_effect(codes: Tensor, index: Tensor, kind: Tensor, fmt: CellFormat) -> Tensor:
    """`codes` with the per-cell faults at flat `index` (into codes.shape + (cells,)) applied."""
    flat = codes.reshape(-1).to(torch.int64).clone()
    where, new = cell_faults(flat, index, kind, fmt)
    flat[where] = new
    return flat.reshape(codes.shape)


def cell_effect_dense(codes: Tensor, states: Tensor, fmt: CellFormat) -> Tensor:
    """`cell_effect` for a dense int8 state per cell (shape codes.shape + (cells,))."""
    if tuple(states.shape) != (*codes.shape, fmt.cells_per_weight):
        raise ValueError(
            f"cell states of shape {tuple(states.shape)} do not fit weights of shape "
            f"{tuple(codes.shape)} with {fmt.cells_per_weight} cells each"
        )
    flat = states.reshape(-1)
    index = torch.nonzero(flat != OK).reshape(-1)
    return cell_effect(codes, index, flat[index], fmt)


def cell_slices(codes: Tensor, fmt: CellFormat) -> Tensor:
    """The value every cell of every weight holds: shape codes.shape + (cells_per_weight,)."""
    flat = codes.reshape(-1).to(torch.int64)
    cells = fmt.cells_per_weight
    weight = torch.arange(flat.numel(), device=flat.device).repeat_interleave(cells)
    cell = torch.arange(cells, device=flat.device).repeat(flat.numel())
    return _cells_of(flat, weight, cell, fmt)[0].reshape(*codes.shape, cells)


def from_cells(values: Tensor, fmt: CellFormat) -> Tensor:
    """Inverse of `cell_slices`: the code each row of cell values represents."""
    shifts = fmt.bits_per_cell * torch.arange(fmt.slices - 1, -1, -1, device=values.device)
    if fmt.encoding == "offset":
        return (values << shifts).sum(-1) - (1 << (fmt.weight_bits - 1))
    positive, negative = torch.split(values, fmt.slices, dim=-1)
    return (positive << shifts).sum(-1) - (negative << shifts).sum(-1)
