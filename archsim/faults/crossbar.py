"""One crossbar's matrix-vector product as the chip computes it, bit-true (docs/crossbar-path.md).

Integers throughout (held in float tensors so that matmul runs them; every partial sum is
below 2**24, exact in float32, and the shift-and-add accumulates in float64):

- inputs are integer codes, unsigned (b bits, 0 .. 2**b - 1) or signed (two's complement);
  they reach the rows `dac_bits` at a time, least significant first (`input_cycles`); a
  signed input's sign bit comes last, in a cycle of its own weighted -2**(b-1);
- each weight code is held in cells (`effects.cell_slices`: offset or differential, most
  significant slice first); a column whose cells sum to more than half of rows x (2**w - 1)
  is stored complemented (ISAAC's flipped weights) and read back as (2**w - 1) x S - read,
  S being the cycle's digital input count;
- each column's partial sum over one crossbar's rows in one cycle goes through the ADC
  (`adc_read`: steps of 2**shift, rounding half up, saturating at 2**bits - 1 codes), then
  the cycles and the slices are shifted and added and the offset's bias 2**(B-1) x sum of
  inputs is subtracted (an exact digital count: an analog unit column would pass through
  `adc_read` at the seam marked in `column_sums`).

`column_sums` takes the cells as stored, so a stuck cell is a cell state like any other
(docs/crossbar-path.md s.5 for the device-physics seam).
"""

from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from archsim.faults.effects import cell_slices, from_cells
from archsim.faults.sites import CellFormat


@dataclass(frozen=True, kw_only=True)
class CrossbarSpec:
    """The precision one layer's crossbars compute with."""

    rows: int  # crossbar rows: one row block's partial sum per conversion
    input_bits: int
    dac_bits: int
    adc_bits: int
    adc_shift: int  # the ADC counts in steps of 2**adc_shift units
    cells: CellFormat
    flip: bool = True
    analog: bool = False  # cells hold real levels (device physics): the ADC rounds every sum
    read_sigma: float = 0.0  # per read, each driven cell's noise sd in levels x its digit

    @property
    def cell_max(self) -> int:
        return (1 << self.cells.bits_per_cell) - 1

    @property
    def adc_top(self) -> int:
        return (1 << self.adc_bits) - 1


def cycle_schedule(bits: int, dac_bits: int, signed: bool) -> list[tuple[int, int, int]]:
    """(weight, shift, mask) per input cycle: the cycle's digits are (pattern >> shift) & mask
    of the codes' two's complement pattern, and it counts `weight` times."""
    magnitude_bits = bits - 1 if signed else bits
    mask = (1 << dac_bits) - 1
    cycles = [
        (
            1 << shift,
            shift,
            mask if shift + dac_bits <= magnitude_bits else (1 << (magnitude_bits - shift)) - 1,
        )
        for shift in range(0, magnitude_bits, dac_bits)
    ]
    return cycles + ([(-(1 << (bits - 1)), bits - 1, 1)] if signed else [])


def input_pattern(codes: Tensor, bits: int, signed: bool) -> Tensor:
    """The codes' bit patterns (two's complement for signed codes), as integers."""
    pattern = codes.to(torch.int64 if bits > 30 else torch.int32)
    return pattern & ((1 << bits) - 1) if signed else pattern


def input_cycles(
    codes: Tensor, bits: int, dac_bits: int, signed: bool
) -> Iterator[tuple[int, Tensor]]:
    """(weight, digits) per input cycle: codes = sum of weight x digits (digits 0 .. 2**dac - 1)."""
    pattern = input_pattern(codes, bits, signed)
    for weight, shift, mask in cycle_schedule(bits, dac_bits, signed):
        yield weight, (pattern >> shift) & mask


def bitwise_any(pattern: Tensor, dim: int) -> Tensor:
    """The bitwise OR of integer `pattern` along `dim` (by halving)."""
    pattern = pattern.movedim(dim, -1)
    odd: Tensor | None = None  # the OR of the elements left over by odd lengths
    while pattern.shape[-1] > 1:
        if pattern.shape[-1] % 2:
            last = pattern[..., -1]
            odd = last if odd is None else odd | last
            pattern = pattern[..., :-1]
        pattern = pattern[..., 0::2] | pattern[..., 1::2]
    return pattern[..., 0] if odd is None else pattern[..., 0] | odd


def cycle_sums(any_bits: Tensor, bits: int, dac_bits: int, signed: bool) -> Tensor:
    """(..., 2) float32: the sums of the cycle weights, and of their squares, over the input
    cycles that drive some row, given the OR of the driven rows' patterns (`bitwise_any` of
    `input_pattern`)."""
    schedule = cycle_schedule(bits, dac_bits, signed)
    dtype, device = any_bits.dtype, any_bits.device
    shifts = torch.tensor([s for _, s, _ in schedule], dtype=dtype, device=device)
    masks = torch.tensor([m for _, _, m in schedule], dtype=dtype, device=device)
    weights = [[float(w), float(w) ** 2] for w, _, _ in schedule]
    on = ((any_bits.unsqueeze(-1) >> shifts) & masks) != 0  # (..., cycles)
    return on.float() @ torch.tensor(weights, device=device)


def adc_read(partial: Tensor, bits: int, shift: int) -> Tensor:
    """What the ADC reports for non-negative integer partial sums: round(partial / 2**shift)
    (half up) clipped to 0 .. 2**bits - 1, times 2**shift."""
    if not shift:
        return partial.clamp(0, (1 << bits) - 1)
    step = float(1 << shift)
    return torch.floor(partial / step + 0.5).clamp_(0, (1 << bits) - 1).mul_(step)


def flip_columns(logical: Tensor, used_rows: Tensor, cell_max: int) -> Tensor:
    """Which columns ISAAC stores complemented: cells (..., rows, cols) summing to more than
    half of used_rows x cell_max. `used_rows` broadcasts against (..., 1, cols)."""
    return 2 * logical.sum(dim=-2, keepdim=True) > used_rows * cell_max


def stored_cells(logical: Tensor, flipped: Tensor, row_used: Tensor, cell_max: int) -> Tensor:
    """Cell values as programmed: the complement in flipped columns, 0 on unused rows."""
    return torch.where(flipped, cell_max - logical, logical) * row_used


CHUNK_ELEMENTS = 1 << 21  # cycle readings held at once (8 MiB of float32)


def column_sums(
    x_rows: Tensor,
    stored: Tensor,
    flipped: Tensor,
    spec: CrossbarSpec,
    signed: bool,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Per column, the shift-and-added ADC readings of one row block, flips undone.

    x_rows: integer input codes (..., M, R); stored: cells as programmed (..., R, C);
    flipped: (..., 1, C). Returns (..., M, C) float64: sum over cycles of weight x reading.
    All cycles of a chunk of the M input vectors go through one matmul. With
    `spec.read_sigma`, every reading gets its read noise (drawn from `generator`).
    """
    schedule = cycle_schedule(spec.input_bits, spec.dac_bits, signed)
    per_vector = len(schedule) * stored.shape[-1] * max(1, stored[..., 0, 0].numel())
    step = max(1, CHUNK_ELEMENTS // per_vector)
    parts = [
        _chunk_sums(x_rows[..., start : start + step, :], stored, flipped, spec, signed, generator)
        for start in range(0, x_rows.shape[-2], step)
    ]
    return torch.cat(parts, dim=-2)


def _chunk_sums(
    x_rows: Tensor,
    stored: Tensor,
    flipped: Tensor,
    spec: CrossbarSpec,
    signed: bool,
    generator: torch.Generator | None,
) -> Tensor:
    dtype = matmul_dtype(stored)
    schedule = cycle_schedule(spec.input_bits, spec.dac_bits, signed)
    shape = (len(schedule),) + (1,) * x_rows.dim()
    shifts = torch.tensor([s for _, s, _ in schedule], device=x_rows.device).reshape(shape)
    masks = torch.tensor([m for _, _, m in schedule], device=x_rows.device).reshape(shape)
    pattern = input_pattern(x_rows, spec.input_bits, signed).unsqueeze(0)
    planes = (pattern >> shifts.to(pattern.dtype)).bitwise_and_(masks.to(pattern.dtype)).to(dtype)
    weights = [float(w) for w, _, _ in schedule]
    saturates = spec.adc_shift or _may_saturate(stored, spec)  # else the ADC reads sums as is
    totals = []
    for readings in _readings(planes, stored, spec):  # one part of the columns at a time
        if spec.read_sigma:  # per read: N(0, sigma^2 x sum of the squared digits driving rows)
            spread = planes.square().sum(-1, keepdim=True).sqrt_().mul_(spec.read_sigma)
            noise = torch.randn(readings.shape, generator=generator, device=readings.device)
            readings = readings + spread * noise.to(readings.dtype)
        if spec.analog and not spec.adc_shift:  # real-valued sums: the unit-step ADC rounds
            readings = torch.floor(readings + 0.5)
        if saturates:
            readings = adc_read(readings, spec.adc_bits, spec.adc_shift)
        totals.append(_shift_add(readings, weights, float(spec.adc_top << spec.adc_shift)))
    total = torch.cat(totals, dim=-1)[..., : stored.shape[-1]]
    if not spec.flip:
        return total
    # a flipped column reads (2**w - 1) x S_t - reading in every cycle t (S_t: the cycle's
    # digital count); sum_t w_t S_t = sum_r sum_t w_t d_tr = sum_r x_r, the codes' own sum
    counts = x_rows.to(torch.float64).sum(-1)
    sign = 1.0 - 2.0 * flipped.to(torch.float64)
    return total * sign + flipped * (spec.cell_max * counts.unsqueeze(-1))


def _readings(planes: Tensor, stored: Tensor, spec: CrossbarSpec) -> Iterator[Tensor]:
    """planes @ stored, the readings (cycles, ..., M, C) of every column, in parts of the
    columns (the last part padded with zero columns).

    Integer cells (no device physics) are packed: m columns whose readings are below 2**b
    (b the bit length of the largest column's static bound) share one matmul column as
    sum_i 2**(b i) x cells_i, exact while b m fits the mantissa (24 bits in float32), and
    are unpacked by floor division; the matmul then does 1/m of the multiply-accumulates.
    """
    mantissa = 24 if planes.dtype == torch.float32 else 53
    bound = int(stored.sum(dim=-2).max()) * ((1 << spec.dac_bits) - 1) if stored.numel() else 0
    bits = max(1, bound.bit_length())
    pack = 1 if spec.analog or spec.read_sigma else min(mantissa // bits, stored.shape[-1])
    if pack <= 1:
        yield planes @ stored.to(planes.dtype)
        return
    width = -(-stored.shape[-1] // pack)
    padded = F.pad(stored, (0, pack * width - stored.shape[-1])).to(planes.dtype)
    parts = torch.unflatten(padded, -1, (pack, width))  # (..., R, pack, width)
    scale = torch.pow(2.0, bits * torch.arange(pack, device=stored.device, dtype=planes.dtype))
    packed = torch.einsum("...rpw,p->...rw", parts, scale)
    rest = planes @ packed
    step = float(1 << bits)
    for _ in range(pack - 1):
        high = rest.mul(1.0 / step).floor_()
        yield rest.sub_(high, alpha=step)  # the low part, in rest's own memory
        rest = high
    yield rest


def _may_saturate(stored: Tensor, spec: CrossbarSpec) -> bool:
    """Whether some column's static bound, (2**dac - 1) x the sum of its cells, reaches the
    ADC's saturation (else clipping is provably a no-op)."""
    bound = float(stored.sum(dim=-2).max()) * ((1 << spec.dac_bits) - 1)
    return bound >= (spec.adc_top + 0.5) * (1 << spec.adc_shift)


def _shift_add(readings: Tensor, weights: list[float], largest: float) -> Tensor:
    """sum over cycles of weight x reading, in float64: cycles are added in float32 in groups
    whose sum stays below 2**24 (exact), the groups in float64."""
    total = torch.zeros(readings.shape[1:], dtype=torch.float64, device=readings.device)
    start = 0
    while start < len(weights):
        end, bound = start, 0.0
        while end < len(weights) and (bound + abs(weights[end])) * largest < 2**24:
            bound += abs(weights[end])
            end += 1
        end = max(end, start + 1)
        if end - start == 1:
            total += weights[start] * readings[start].to(torch.float64)
        else:
            part = torch.tensor(weights[start:end], dtype=readings.dtype, device=readings.device)
            total += torch.tensordot(part, readings[start:end], dims=1).to(torch.float64)
        start = end
    return total


def matmul_dtype(like: Tensor) -> torch.dtype:
    """float32 (exact below 2**24) unless a CUDA matmul may round it through TF32."""
    if like.device.type == "cuda" and torch.backends.cuda.matmul.allow_tf32:
        return torch.float64
    return torch.float32


def combine_slices(columns: Tensor, fmt: CellFormat) -> Tensor:
    """(..., C * cells_per_weight) per-cell-column sums -> (..., C) weight-code sums
    (the offset's bias not yet removed)."""
    grouped = columns.reshape(*columns.shape[:-1], -1, fmt.cells_per_weight)
    shifts = fmt.bits_per_cell * torch.arange(fmt.slices - 1, -1, -1, device=columns.device)
    scale = torch.pow(2.0, shifts.to(torch.float64))
    if fmt.encoding == "differential":
        scale = torch.cat([scale, -scale])
    return grouped @ scale.to(columns.dtype)


def offset_bias(x_rows: Tensor, fmt: CellFormat) -> Tensor:
    """What the offset encoding's bias adds to every column: 2**(B-1) x sum of the inputs
    (..., M, 1), an exact digital count; 0 for differential."""
    if fmt.encoding != "offset":
        return torch.zeros((*x_rows.shape[:-1], 1), dtype=torch.float64, device=x_rows.device)
    return float(1 << (fmt.weight_bits - 1)) * x_rows.to(torch.float64).sum(-1, keepdim=True)


def crossbar_mvm(x: Tensor, codes: Tensor, spec: CrossbarSpec, signed: bool) -> Tensor:
    """x (M, R) integer inputs times weight codes (R, C) on one crossbar of R <= spec.rows
    fault-free rows: (M, C) float64 integers, as the chip reads them."""
    if x.shape[-1] > spec.rows:
        raise ValueError(f"{x.shape[-1]} rows do not fit a crossbar of {spec.rows}")
    rows = codes.shape[0]
    logical = cell_slices(codes, spec.cells).reshape(rows, -1).to(torch.float32)
    flipped = flip_columns(logical, torch.tensor(rows), spec.cell_max) & spec.flip
    stored = stored_cells(logical, flipped, torch.ones(rows, 1), spec.cell_max)
    sums = column_sums(x, stored, flipped, spec, signed)
    return combine_slices(sums, spec.cells) - offset_bias(x, spec.cells)


def logical_codes(
    stored: Tensor, flipped: Tensor, row_used: Tensor, fmt: CellFormat, cell_max: int
) -> Tensor:
    """Weight codes (..., R, C) the cells (..., R, C * cells) hold, flips undone (unused rows
    read 0): the weights a lossless chip computes with, stuck cells included."""
    logical = (torch.where(flipped, cell_max - stored, stored) * row_used).to(torch.int64)
    grouped = logical.reshape(*logical.shape[:-1], -1, fmt.cells_per_weight)
    return from_cells(grouped, fmt)


def window_any(pattern: Tensor, conv: nn.Conv2d) -> Tensor:
    """The bitwise OR of integer `pattern` (n, channels, height, width) over each output's
    conv window (zero padding): (n, channels, out height, out width). The OR over a window is
    the OR over its rows of the OR over its columns."""
    kh, kw = conv.kernel_size
    (sh, sw), (dh, dw) = conv.stride, conv.dilation
    ph, pw = int(conv.padding[0]), int(conv.padding[1])
    padded = F.pad(pattern, (pw, pw, ph, ph))
    out_h = (padded.shape[2] - dh * (kh - 1) - 1) // sh + 1
    out_w = (padded.shape[3] - dw * (kw - 1) - 1) // sw + 1
    rows = padded[:, :, 0 : sh * (out_h - 1) + 1 : sh].clone()
    for i in range(1, kh):  # the kernel's taps, a handful
        rows |= padded[:, :, i * dh : i * dh + sh * (out_h - 1) + 1 : sh]
    found = rows[..., 0 : sw * (out_w - 1) + 1 : sw].clone()
    for j in range(1, kw):
        found |= rows[..., j * dw : j * dw + sw * (out_w - 1) + 1 : sw]
    return found
