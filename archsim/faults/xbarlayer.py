"""One RRAM layer (Conv2d or Linear) computed through its crossbars (docs/crossbar-path.md).

The layer's weight matrix (`weight.reshape(cout, -1)`, per group `rows = k*k*cin/groups` by
`cout/groups`) is cut into row blocks of the crossbar's rows, as the mapper cuts it; each
block's cells (`stored`, shape (groups, blocks, crossbar rows, cout/groups x cells)) hold the
weight slices as programmed (flipped columns complemented), and a chip's stuck cells are
written into them. Columns and column blocks need no cut: a column's sum never mixes with
another's.

Two ways to run it:
- bit-true (`exact=True`): every column of every row block through `crossbar.column_sums`;
- fast (default): one ordinary conv/matmul of the quantized inputs with the weights the cells
  hold (flips undone). That is exact where the ADC counts in unit steps and a column's static
  bound, (2**dac - 1) x the sum of its stored cells, cannot reach its saturation; columns that
  can saturate run bit-true; where the ADC counts in steps of 2**k > 1, its rounding is replaced
  by its noise equivalent (docs/crossbar-path.md s.4), a stated approximation.
"""

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from archsim.errors import UserError
from archsim.faults.crossbar import (
    CrossbarSpec,
    bitwise_any,
    column_sums,
    combine_slices,
    cycle_sums,
    flip_columns,
    input_pattern,
    logical_codes,
    offset_bias,
    stored_cells,
    window_any,
)
from archsim.faults.devices import (
    NO_PHYSICS,
    DevicePhysics,
    analog_codes,
    programmed,
    read_noise_at_output,
    wired,
)
from archsim.faults.draw import unit_rng
from archsim.faults.effects import cell_slices, weight_faults
from archsim.faults.models import STUCK_ON
from archsim.faults.quantize import QuantizedWeight
from archsim.faults.records import LayerFaults, StateKind


@dataclass(frozen=True, kw_only=True)
class InputQuantizer:
    """A layer's input codes: round(x / scale), clipped to the calibrated range's codes."""

    scale: float
    signed: bool
    bits: int

    @property
    def top(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    def codes(self, x: Tensor) -> Tensor:
        """The integer codes of `x` (held as floats)."""
        if self.scale == 0:
            return torch.zeros_like(x)
        return x.div(self.scale).round_().clamp_(-self.top if self.signed else 0, self.top)

    def quantized(self, x: Tensor) -> Tensor:
        """x at its code: codes(x) x scale."""
        return self.codes(x).mul_(self.scale)


def calibrated(largest: float, smallest: float, bits: int) -> InputQuantizer:
    """The quantizer for inputs seen between `smallest` and `largest` (signed if any < 0)."""
    signed = smallest < 0
    if signed and bits < 2:
        raise UserError("signed layer inputs need precision.input_bits >= 2")
    if bits > 31:
        raise UserError(f"the crossbar path quantizes inputs to at most 31 bits, not {bits}")
    top = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    return InputQuantizer(scale=max(largest, -smallest) / top, signed=signed, bits=bits)


TABLE_BITS = 16  # input patterns up to this many bits look their cycle sums up in a table


@dataclass(frozen=True, kw_only=True)
class NoiseConstants:
    """What the noise equivalent of the ADC's rounding needs besides the activity."""

    half_signs: Tensor  # (groups, blocks, cols): +-1/2 x the slices' shifts, per weight column
    variance: float  # per unit of squared cycle weight: the slices' 4**shift x (4**k - 1)/12
    scale: Tensor  # (cout,) float: s_x s_w


def _noise_constants(layer: "CrossbarLayer", quantized: QuantizedWeight) -> NoiseConstants:
    spec = layer.spec
    sign = torch.where(layer.flipped, -1.0, 1.0)  # (groups, blocks, 1, C)
    signs = combine_slices(sign, spec.cells)[:, :, 0]
    shifts = spec.cells.bits_per_cell * torch.arange(spec.cells.slices)
    arrays = 2 if spec.cells.encoding == "differential" else 1
    power = arrays * float(torch.pow(4.0, shifts.to(torch.float64)).sum())
    scale = quantized.scale.reshape(-1).expand(layer.cout) * layer.inputs.scale
    # integer sums: mean +-1/2, variance (4**k - 1)/12; real-valued sums (device physics):
    # mean 0, variance 4**k/12 (a unit-step ADC's rounding of real sums is left out:
    # docs/device-physics.md)
    half, spread = (0.0, 0.0) if spec.analog else (0.5, 1.0)
    return NoiseConstants(
        half_signs=signs * half,
        variance=power * (4.0**spec.adc_shift - spread) / 12,
        scale=scale.to(layer.module.weight.dtype),
    )


def _noise_seed(chip: tuple[int, int] | None, name: str) -> int:
    """The seed of a layer's read noise on chip (seed, index); the clean chip's: 0."""
    if chip is None:
        return 0
    return int(unit_rng(chip[0], chip[1], f"reads:{name}").integers(2**62))


class CrossbarLayer:
    """A Conv2d or Linear module's crossbars: its cells, a chip's faults, and its forward."""

    def __init__(
        self,
        module: nn.Module,
        quantized: QuantizedWeight,
        spec: CrossbarSpec,
        inputs: InputQuantizer,
        exact: bool,
        physics: DevicePhysics = NO_PHYSICS,
        name: str = "",
    ) -> None:
        if not isinstance(module, nn.Conv2d | nn.Linear):
            raise UserError(f"the crossbar path runs Conv2d and Linear layers, not {module}")
        if isinstance(module, nn.Conv2d) and (
            module.padding_mode != "zeros" or isinstance(module.padding, str)
        ):
            raise UserError("the crossbar path needs numeric zero padding")
        self.module, self.quantized, self.spec, self.inputs = module, quantized, spec, inputs
        self.exact, self.physics, self.name = exact, physics, name
        self.groups = module.groups if isinstance(module, nn.Conv2d) else 1
        self.cout = quantized.codes.shape[0]
        self.cols = self.cout // self.groups
        self.matrix_rows = quantized.codes[0].numel()
        self.blocks = math.ceil(self.matrix_rows / spec.rows)
        index = torch.arange(self.blocks * spec.rows, device=quantized.codes.device)
        self.row_used = (index < self.matrix_rows).reshape(self.blocks, spec.rows, 1).float()
        used = self.row_used.sum(1, keepdim=True)
        self.flipped = flip_columns(self._cells(quantized.codes), used, spec.cell_max) & spec.flip
        self.generator = torch.Generator(device=quantized.codes.device).manual_seed(0)
        self.noise = _noise_constants(self, quantized)
        self.cycle_table = (
            cycle_sums(
                torch.arange(1 << spec.input_bits, device=quantized.codes.device),
                spec.input_bits,
                spec.dac_bits,
                inputs.signed,
            )
            if spec.adc_shift and spec.input_bits <= TABLE_BITS
            else None
        )
        self.set_chip(None, "cell")

    def _cells(self, codes: Tensor) -> Tensor:
        """Logical cell values (groups, blocks, rows, cols x cells) of weight `codes`."""
        cells = cell_slices(codes.reshape(self.cout, -1), self.spec.cells).float()
        k = self.spec.cells.cells_per_weight
        cells = cells.reshape(self.groups, self.cols, self.matrix_rows, k).permute(0, 2, 1, 3)
        cells = cells.reshape(self.groups, self.matrix_rows, self.cols * k)
        cells = F.pad(cells, (0, 0, 0, self.blocks * self.spec.rows - self.matrix_rows))
        return cells.reshape(self.groups, self.blocks, self.spec.rows, self.cols * k)

    def _cell_positions(self, index: Tensor) -> Tensor:
        """Flat positions in `stored` of flat cell indices into weight.shape + (cells,)."""
        k = self.spec.cells.cells_per_weight
        weight, cell = index // k, index % k
        out, row = weight // self.matrix_rows, weight % self.matrix_rows
        group, col = out // self.cols, out % self.cols
        block_row = group * self.blocks * self.spec.rows + row  # rows of blocks are contiguous
        return block_row * (self.cols * k) + col * k + cell

    def set_chip(
        self, faults: LayerFaults | None, kind: StateKind, chip: tuple[int, int] | None = None
    ) -> None:
        """Program the cells (as the fault-free quantized weights) with the device physics of
        chip (seed, index) `chip` (None: none), and apply its stuck faults (which override the
        physics)."""
        spec, q = self.spec, self.quantized
        codes = q.codes
        if faults is not None and kind == "weight":
            flat = codes.reshape(-1).clone()
            index, states = faults.index.to(flat.device), faults.kind.to(flat.device)
            where, new = weight_faults(flat, index, states, q.qmax)
            flat[where] = new.to(flat.dtype)
            codes = flat.reshape(codes.shape)
        stored = stored_cells(self._cells(codes), self.flipped, self.row_used, spec.cell_max)
        self.reseed(chip)
        if chip is not None:
            stored = programmed(stored, self.physics, spec.cell_max, (*chip, self.name))
        if faults is not None and kind == "cell":
            position = self._cell_positions(faults.index.to(stored.device))
            value = (faults.kind.to(stored.device) == STUCK_ON).float() * spec.cell_max
            stored.view(-1)[position] = value
        self.stored = stored if chip is None else wired(stored, self.physics, spec.cell_max)
        self.codes = self.held_codes(self.stored)
        # laid out as the module's own weight, so that the conv runs at the float conv's cost
        self.weight = q.dequantize(self.codes).to(self.module.weight.dtype)
        # the fast conv's weight, s_x s_w q, laid out as the module's own weight: one conv of
        # the input codes at the cost of the float conv
        fast = torch.empty_like(self.module.weight)
        self.fast_weight = fast.copy_(self.weight).mul_(self.inputs.scale)
        clips = self.clips(self.stored.sum(dim=2))
        self.clipping = torch.nonzero(clips.any(0)).reshape(-1)  # weight columns

    def reseed(self, chip: tuple[int, int] | None) -> None:
        """The noise of chip `chip`'s reads (ADC rounding, read noise) comes from the chip's
        own stream for this layer, so a chip scores the same whatever ran before it."""
        self.generator.manual_seed(_noise_seed(chip, self.name))

    def held_codes(self, stored: Tensor) -> Tensor:
        """The weight codes (..., weight shape) that cells `stored` (..., groups, blocks,
        rows, cols x cells) hold, flips undone; real-valued under device physics."""
        spec, lead = self.spec, stored.shape[:-4]
        held = analog_codes if spec.analog else logical_codes  # real levels: no rounding
        logical = held(stored, self.flipped, self.row_used, spec.cells, spec.cell_max)
        logical = logical.reshape(*lead, self.groups, -1, self.cols)[..., : self.matrix_rows, :]
        return logical.transpose(-1, -2).reshape(*lead, *self.quantized.codes.shape)

    def clips(self, sums: Tensor) -> Tensor:
        """(..., groups, cols): the weight columns of cells whose column sums `sums` (...,
        groups, blocks, cols x cells) let some row block's static bound, (2**dac - 1) x
        the sum, reach the ADC's saturation."""
        spec = self.spec
        clips = ((1 << spec.dac_bits) - 1) * sums >= (spec.adc_top + 0.5) * (1 << spec.adc_shift)
        shape = (*sums.shape[:-3], self.groups, self.blocks, self.cols, -1)
        return clips.reshape(shape).any(-1).any(-2)

    def forward(self, x: Tensor) -> Tensor:
        xq = self.inputs.codes(x)
        if self.exact:
            return self._scaled(self._bit_true(xq, None), None)
        # codes x (s_x s_w q): one conv
        y = self.noisy(self._ordinary(xq, self.fast_weight), xq)
        if self.clipping.numel():  # columns that may saturate: bit-true
            exact = self._scaled(self._bit_true(xq, self.clipping), self.clipping)
            dim = -1 if isinstance(self.module, nn.Linear) else 1
            y = y.index_copy(dim, self._channels(self.clipping), exact)
        return y

    def noisy(self, y: Tensor, xq: Tensor) -> Tensor:
        """The fast conv's output `y` of input codes `xq` plus the read noise and the noise
        equivalent of the ADC's rounding (as configured); y may be added to in place."""
        if self.spec.read_sigma:
            noise = read_noise_at_output(xq, self.module, self.spec, self.inputs.signed,
                                         self.generator)  # fmt: skip
            y = y + self._scaled(noise, None, bias=False)
        if self.spec.adc_shift:
            y = self._add_rounding_noise(y, xq)
        return y

    def _ordinary(self, x: Tensor, weight: Tensor) -> Tensor:
        m = self.module
        if isinstance(m, nn.Linear):
            return F.linear(x, weight, m.bias)
        return F.conv2d(x, weight, m.bias, m.stride, m.padding, m.dilation, m.groups)

    def _channels(self, cols: Tensor) -> Tensor:
        """Output channels of weight columns `cols` in every group."""
        base = torch.arange(self.groups, device=cols.device).reshape(-1, 1) * self.cols
        return (base + cols).reshape(-1)

    def _rows(self, xq: Tensor) -> tuple[Tensor, tuple[int, ...]]:
        """Input codes (groups, vectors, matrix rows), and the output layout."""
        m = self.module
        if isinstance(m, nn.Linear):
            vectors = xq.reshape(-1, 1, xq.shape[-1])
            layout: tuple[int, ...] = tuple(xq.shape[:-1])
        else:
            padding = (int(m.padding[0]), int(m.padding[1]))
            unfolded = F.unfold(xq, m.kernel_size, m.dilation, padding, m.stride)
            n, _, length = unfolded.shape
            vectors = unfolded.reshape(n, self.groups, self.matrix_rows, length)
            vectors = vectors.permute(0, 3, 1, 2).reshape(n * length, self.groups, -1)
            span = m.dilation[0] * (m.kernel_size[0] - 1) + 1
            height = (xq.shape[2] + 2 * padding[0] - span) // m.stride[0] + 1
            layout = (n, height, length // height)
        return vectors.transpose(0, 1), layout

    def _block(self, vectors: Tensor, block: int) -> Tensor:
        """The input codes (groups, vectors, rows used) of row block `block`."""
        start = block * self.spec.rows
        return vectors[..., start : start + self.spec.rows]

    def _to_output(self, y: Tensor, layout: tuple[int, ...]) -> Tensor:
        """(groups, vectors, cols) -> the module's output layout."""
        groups, _, cols = y.shape
        if isinstance(self.module, nn.Linear):
            return y[0].reshape(*layout, cols)
        n, height, width = layout
        y = y.reshape(groups, n, height * width, cols).permute(1, 0, 3, 2)
        return y.reshape(n, groups * cols, height, width)

    def _bit_true(self, xq: Tensor, cols: Tensor | None) -> Tensor:
        """Integer outputs (the module's layout) of weight columns `cols` (None: all)."""
        rows, layout = self._rows(xq)
        stored, flipped = self.stored, self.flipped
        if cols is not None:
            k = self.spec.cells.cells_per_weight
            cells = (cols.reshape(-1, 1) * k + torch.arange(k, device=cols.device)).reshape(-1)
            stored, flipped = stored[..., cells], flipped[..., cells]
        return self._to_output(self.block_sums(rows, stored, flipped), layout)

    def block_sums(self, rows: Tensor, stored: Tensor, flipped: Tensor) -> Tensor:
        """Integer outputs (..., vectors, C / cells) of input codes `rows` (..., vectors,
        matrix rows) on cells `stored` (..., blocks, rows, C) of flips `flipped` (..., blocks,
        1, C), bit-true, summed over the row blocks; leading dimensions: groups (a replicated
        layer's: copies, groups)."""
        y = -offset_bias(rows, self.spec.cells)
        for block in range(self.blocks):
            used = min(self.spec.rows, self.matrix_rows - block * self.spec.rows)
            cells = stored[..., block, :used, :]
            x = self._block(rows, block)
            sums = column_sums(
                x, cells, flipped[..., block, :, :], self.spec, self.inputs.signed, self.generator
            )
            y = y + combine_slices(sums, self.spec.cells)
        return y

    def _add_rounding_noise(self, y: Tensor, xq: Tensor) -> Tensor:
        """y plus the noise equivalent of the ADC's rounding in steps of 2**k (docs s.4): per
        conversion with some input active, mean +-1/2 and variance (4**k - 1) / 12; one
        seeded normal draw per output with the summed mean and variance."""
        active, squares = self._activity(xq)  # (..., groups, blocks)
        mean = torch.einsum("...gb,gbc->...gc", active, self.noise.half_signs)
        std = squares.sum(-1, keepdim=True).mul_(self.noise.variance).sqrt_()
        # drawn (groups, vectors..., cols): one draw per output, in the order of the vectors
        shape = (self.groups, *mean.shape[:-2], self.cols)
        noise = torch.randn(shape, generator=self.generator, device=xq.device).movedim(0, -2)
        noise = torch.addcmul(mean, std, noise).flatten(-2).mul_(self.noise.scale)
        # y is the conv's own fresh output: added to in place
        return y.add_(noise if isinstance(self.module, nn.Linear) else noise.permute(0, 3, 1, 2))

    def _activity(self, xq: Tensor) -> tuple[Tensor, Tensor]:
        """Per input vector, group and row block (Linear: (..., groups, blocks); Conv2d:
        (n, height, width, groups, blocks) of the output): the sums of the cycle weights, and
        of their squares, over the cycles that drive some row of the block."""
        m, spec, signed = self.module, self.spec, self.inputs.signed
        pattern = input_pattern(xq, spec.input_bits, signed)
        blocks = range(self.blocks)
        if isinstance(m, nn.Linear):
            ranges = [(b * spec.rows, min((b + 1) * spec.rows, self.matrix_rows)) for b in blocks]
            any_bits = torch.stack([bitwise_any(pattern[..., lo:hi], -1) for lo, hi in ranges], -1)
            any_bits = any_bits.unsqueeze(-2)  # one group
        else:  # a row block covers a range of input channels: their OR, OR-ed over the window
            n, channels, height, width = pattern.shape
            pattern = pattern.reshape(n, self.groups, channels // self.groups, height, width)
            taps = m.kernel_size[0] * m.kernel_size[1]
            ranges = [
                (b * spec.rows // taps, -(-min((b + 1) * spec.rows, self.matrix_rows) // taps))
                for b in blocks
            ]
            channel_bits = torch.stack(
                [bitwise_any(pattern[:, :, lo:hi], 2) for lo, hi in ranges], 2
            )  # (n, groups, blocks, height, width)
            any_bits = window_any(channel_bits.flatten(1, 2), m).permute(0, 2, 3, 1)
            any_bits = torch.unflatten(any_bits, -1, (self.groups, self.blocks))
        if self.cycle_table is None:
            sums = cycle_sums(any_bits, spec.input_bits, spec.dac_bits, signed)
        else:  # one look-up per output: the table holds every pattern's sums
            sums = self.cycle_table.index_select(0, any_bits.reshape(-1))
            sums = sums.reshape(*any_bits.shape, 2)
        return sums[..., 0], sums[..., 1]

    def _scaled(self, y: Tensor, cols: Tensor | None, bias: bool = True) -> Tensor:
        """Integer outputs times the input and weight scales (plus the bias)."""
        scale = self.quantized.scale.reshape(-1)
        if scale.numel() > 1:
            chosen = scale if cols is None else scale[self._channels(cols)]
            shape = (-1,) if isinstance(self.module, nn.Linear) else (-1, 1, 1)
            scale = chosen.reshape(shape)
        out = (y * self.inputs.scale * scale.to(torch.float64)).to(self.module.weight.dtype)
        added = self.module.bias
        if added is None or not bias:
            return out
        chosen = added if cols is None else added[self._channels(cols)]
        return out + (chosen if isinstance(self.module, nn.Linear) else chosen[:, None, None])
