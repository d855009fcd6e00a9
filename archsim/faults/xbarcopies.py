"""A replicated RRAM layer on the crossbar path, each output pixel computed with the cells of
the replica the pipeline deals it to (docs/crossbar-path.md s.4).

Every replica has its own stuck cells and, under device physics, its own programming draw
(`devices.programmed_copies`). `CrossbarCopies` computes the layer in every mode with the
dealing of its `ReplicaLayer` (`faults/replicas.py`: the slots of a batch's pixels in a
(copies, share) table, and one gather of each copy's input patches), never looping over
copies:

- fast, no device physics: the conv part is `ReplicaLayer`'s batched product of the copies'
  weights (the injector writes each copy's faulty weights). A copy's column sums are the
  fault-free ones plus the changes its stuck cells make, placed on cells only in the weight
  columns a count of faults per column shows could saturate (`_screened`, O(faults)); the
  (copy, column) pairs whose static bound reaches the ADC's saturation run bit-true, on that
  copy's cells and for the pixels dealt to that copy only, and overwrite those outputs. The
  noise terms (read noise, the ADC rounding's equivalent) depend on the inputs and the
  flips, the same in every copy.
- fast under device physics: every copy's cells are programmed (copies x the layer's cells)
  and its weights computed from them for the batched product; saturating columns as above.
- bit-true: every copy's cells as programmed; the patches of each copy's pixels in one
  (copies, groups, share, rows) table and every row block's partial sums of all copies at
  once (`CrossbarLayer.block_sums` with a leading copy dimension, in chunks of copies): the
  layer's own bit-true work plus the padding of unequal shares. A chip without faults or
  physics computes every pixel with the (identical) fault-free cells.
"""

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from archsim.faults.crossbar import CHUNK_ELEMENTS, cycle_schedule
from archsim.faults.devices import programmed_copies, wired
from archsim.faults.effects import cell_slices, weight_faults
from archsim.faults.models import STUCK_ON
from archsim.faults.records import LayerFaults, StateKind
from archsim.faults.replicas import ReplicaLayer
from archsim.faults.xbarlayer import CrossbarLayer


@dataclass(frozen=True, kw_only=True)
class Overrides:
    """The cells a chip's faults set on a replicated layer: per cell its copy, its flat
    position in one copy's `stored` cells, and the value it is programmed to hold."""

    copy: Tensor
    position: Tensor
    value: Tensor


@dataclass(frozen=True, kw_only=True)
class Clipping:
    """A chip's (copy, weight column) pairs whose columns may saturate the ADC."""

    copies: Tensor  # (C',): the copies with some, ascending
    cols: Tensor  # (C', m): their weight columns, padded by repeating the first
    valid: Tensor  # (C', m) bool: not padding
    cells: Tensor  # (C', groups, blocks, rows, m x cells): those columns' cells in the copy
    flipped: Tensor  # (C', groups, blocks, 1, m x cells)


class CrossbarCopies:
    """One replicated layer's crossbars: every copy's cells for a chip, and its forward."""

    def __init__(self, layer: CrossbarLayer, replica: ReplicaLayer) -> None:
        self.layer, self.replica, self.copies = layer, replica, replica.copies
        self.clean = layer.stored  # the layer itself stays programmed fault-free
        self.sums = self.clean.sum(dim=2)  # (groups, blocks, cols x cells)
        # each weight of a copy: its (group, row block, weight column), flat; and there the
        # largest fault-free sum of a cell column (`_screened`)
        weight = torch.arange(layer.quantized.codes.numel(), device=self.clean.device)
        out, row = weight // layer.matrix_rows, weight % layer.matrix_rows
        block = out // layer.cols * layer.blocks + row // layer.spec.rows
        self.column = block * layer.cols + out % layer.cols
        shape = (layer.groups, layer.blocks, layer.cols, -1)
        self.largest = self.sums.reshape(shape).amax(-1)  # (groups, blocks, cols)
        self.stored: Tensor | None = None  # every copy's cells, bit-true with faults or physics
        self.clipping: Clipping | None = None
        self.written = False  # the copies' weights computed from their cells (physics)

    def set_chip(
        self, faults: LayerFaults | None, kind: StateKind, chip: tuple[int, int] | None = None
    ) -> None:
        """Program every copy as chip (seed, index) `chip` with `faults` (a map with a leading
        copy dimension; None: fault-free, no physics)."""
        layer, replica = self.layer, self.replica
        layer.reseed(chip)
        replica.start(False)  # the dealing starts again (the injector marks faulty copies)
        if self.written:
            replica.weights.copy_(layer.fast_weight)
            self.written = False
        self.stored, self.clipping = None, None
        physics = chip is not None and layer.physics.active
        if not layer.exact and not physics:  # the injector writes the copies' conv weights
            screened = self._screened(faults, kind)
            if screened is not None:
                over = self._overrides(screened, kind)
                self.clipping = self._clipping(self._sums(over), None, over)
            return
        over = self._overrides(faults, kind)
        if not physics and not over.copy.numel():  # every copy the fault-free layer
            return
        stored = self._programmed(over, kind, chip if physics else None)
        if layer.exact:
            self.stored = stored
            return
        weight = layer.quantized.dequantize(layer.held_codes(stored))
        replica.weights.copy_(weight.to(replica.weights.dtype)).mul_(layer.inputs.scale)
        replica.start(True)
        self.written = True
        self.clipping = self._clipping(stored.sum(dim=-2), stored, over)

    def forward(self, x: Tensor) -> Tensor:
        """The module's output, each pixel computed with the cells of the copy dealt to it."""
        layer, replica = self.layer, self.replica
        xq = layer.inputs.codes(x)
        first = replica.images
        if not layer.exact:
            y = layer.noisy(replica.forward(xq), xq)  # counts the images
            return y if self.clipping is None else self._clip(y, xq, first)
        replica.images += x.shape[0]
        if self.stored is None:
            return layer._scaled(layer._bit_true(xq, None), None)
        slot, source, share = self.replica.dealt.of(first, x.shape[0], x.device)
        y = self._bit_true(self._patches(xq, source, share, None), self.stored, layer.flipped)
        y = y.transpose(1, 2).reshape(self.copies * share, layer.groups, -1)
        y = y.index_select(0, slot).transpose(0, 1)  # (groups, pixels, cols)
        return layer._scaled(layer._to_output(y, self._layout(xq)), None)

    def _screened(self, faults: LayerFaults | None, kind: StateKind) -> LayerFaults | None:
        """The faults in (copy, weight column) pairs that could saturate the ADC if each
        faulty unit there raised a cell column of its row block by the top level (an upper
        bound on its sum: O(faults), no cell positions); None where no pair could."""
        if faults is None:
            return None
        layer, units = self.layer, self.layer.quantized.codes.numel()
        index = faults.index.to(self.clean.device)
        unit = index // layer.spec.cells.cells_per_weight if kind == "cell" else index
        copy, column = unit // units, self.column[unit % units]
        at = copy * self.largest.numel() + column
        counts = torch.zeros(self.copies * self.largest.numel(), device=at.device)
        counts.index_add_(0, at, torch.ones(len(at), device=at.device))
        bound = self.largest + counts.view(self.copies, *self.largest.shape) * layer.spec.cell_max
        keep = layer.clips(bound).any(-2)[copy, column % layer.cols]
        if not bool(keep.any()):
            return None
        keep = keep.to(faults.index.device)
        return LayerFaults(faults.shape, faults.index[keep], faults.kind[keep])

    def _overrides(self, faults: LayerFaults | None, kind: StateKind) -> Overrides:
        layer, q = self.layer, self.layer.quantized
        k, top = layer.spec.cells.cells_per_weight, layer.spec.cell_max
        device, weights = self.clean.device, q.codes.numel()
        if faults is None:
            empty = torch.zeros(0, dtype=torch.int64, device=device)
            return Overrides(copy=empty, position=empty, value=empty.float())
        index, states = faults.index.to(device), faults.kind.to(device)
        if kind == "cell":
            copy, cell = index // (weights * k), index % (weights * k)
            value = (states == STUCK_ON).float() * top
            return Overrides(copy=copy, position=layer._cell_positions(cell), value=value)
        where, new = weight_faults(q.codes.reshape(-1), index, states, q.qmax)
        cell = ((where % weights)[:, None] * k + torch.arange(k, device=device)).reshape(-1)
        position = layer._cell_positions(cell)
        rows, width = self.clean.shape[-2:]
        flipped = layer.flipped.reshape(-1, width)[position // (rows * width), position % width]
        logical = cell_slices(new, layer.spec.cells).reshape(-1).float()
        value = torch.where(flipped, top - logical, logical)
        return Overrides(copy=(where // weights).repeat_interleave(k), position=position,
                         value=value)  # fmt: skip

    def _sums(self, over: Overrides) -> Tensor:
        """(copies, groups, blocks, cols x cells): every copy's column sums."""
        sums = self.sums.unsqueeze(0).repeat(self.copies, 1, 1, 1)
        rows, width = self.clean.shape[-2:]
        delta = over.value - self.clean.reshape(-1)[over.position]
        column = over.position // (rows * width) * width + over.position % width
        sums.view(-1).index_add_(0, over.copy * self.sums.numel() + column, delta)
        return sums

    def _programmed(self, over: Overrides, kind: StateKind, chip: tuple[int, int] | None) -> Tensor:
        """(copies, groups, blocks, rows, cols x cells): every copy's cells as programmed
        (without device physics, integer levels held in bytes: a quarter of the memory)."""
        layer, copies, top = self.layer, self.copies, self.layer.spec.cell_max
        compact = chip is None and top < 256  # integer levels: one byte a cell
        stored = (self.clean.to(torch.uint8) if compact else self.clean).unsqueeze(0)
        stored = stored.repeat(copies, 1, 1, 1, 1)
        value = over.value.to(stored.dtype)
        if kind == "weight":  # programmed as faulty weights: before the physics
            stored.view(copies, -1)[over.copy, over.position] = value
        if chip is not None:
            stored = programmed_copies(stored, layer.physics, top, (*chip, layer.name))
        if kind == "cell":  # stuck cells override the physics
            stored.view(copies, -1)[over.copy, over.position] = value
        return stored if chip is None else wired(stored, layer.physics, top)

    def _clipping(self, sums: Tensor, stored: Tensor | None, over: Overrides) -> Clipping | None:
        """The pairs of copies and columns that may saturate, with their cells: from every
        copy's `stored` cells, or (None) the fault-free cells with `over` written."""
        layer = self.layer
        pairs = torch.nonzero(layer.clips(sums).any(-2))  # (copy, weight column), copy-major
        if not pairs.shape[0]:
            return None
        copy, col = pairs[:, 0], pairs[:, 1]
        chosen, at, counts = torch.unique_consecutive(copy, return_inverse=True, return_counts=True)
        start = torch.cumsum(counts, 0) - counts
        rank = torch.arange(len(copy), device=copy.device) - start[at]
        width = int(counts.max())
        cols = col[start].unsqueeze(1).repeat(1, width)
        cols[at, rank] = col
        valid = torch.zeros_like(cols, dtype=torch.bool)
        valid[at, rank] = True
        k = layer.spec.cells.cells_per_weight
        cells = (cols.unsqueeze(-1) * k + torch.arange(k, device=cols.device)).flatten(1)
        groups, blocks, rows, line = self.clean.shape
        lines = groups * blocks * rows
        flat = torch.arange(lines, device=cols.device)[None, :, None] * line + cells[:, None, :]
        if stored is not None:
            held = stored.reshape(-1)[flat + (chosen * lines * line)[:, None, None]]
        else:  # the fault-free cells, then the chosen copies' faults in the chosen columns
            held = self.clean.reshape(-1)[flat]
            slot = torch.full((self.copies, layer.cols), -1, dtype=torch.int64, device=cols.device)
            slot[copy, col] = at * width + rank
            target = slot[over.copy, over.position % line // k]
            keep = target >= 0
            place = (target // width * lines + over.position // line) * (width * k)
            place = place + target % width * k + over.position % k
            held.view(-1)[place[keep]] = over.value[keep]
        flipped = layer.flipped.reshape(groups * blocks, line)[:, cells].transpose(0, 1)
        shape = (len(chosen), groups, blocks, -1, width * k)
        return Clipping(copies=chosen, cols=cols, valid=valid, cells=held.reshape(shape),
                        flipped=flipped.reshape(shape))  # fmt: skip

    def _clip(self, y: Tensor, xq: Tensor, first: int) -> Tensor:
        """`y` with the saturating columns' outputs bit-true, each on the pixels dealt to
        its copy and with that copy's cells."""
        clip, layer = self.clipping, self.layer
        assert clip is not None
        slot, source, share = self.replica.dealt.of(first, xq.shape[0], xq.device)
        rows = self._patches(xq, source, share, clip.copies)
        exact = self._bit_true(rows, clip.cells, clip.flipped)  # (C', groups, share, m)
        groups = torch.arange(layer.groups, device=y.device)
        channel = (groups[:, None] * layer.cols + clip.cols[:, None, :])[:, :, None, :]
        scale = layer.quantized.scale.reshape(-1).to(torch.float64).expand(layer.cout)
        values = (exact * layer.inputs.scale * scale[channel]).to(y.dtype)
        if layer.module.bias is not None:
            values = values + layer.module.bias[channel]
        used = torch.zeros(self.copies * share, dtype=torch.bool, device=y.device)
        used[slot] = True
        used = used.view(self.copies, share)[clip.copies][:, None, :, None]
        mask = (used & clip.valid[:, None, None, :]).expand_as(values)
        pixel = source.view(self.copies, share)[clip.copies][:, None, :, None]
        if isinstance(layer.module, nn.Linear):
            flat = y.reshape(-1, layer.cout)
        else:
            flat = y.permute(0, 2, 3, 1).reshape(-1, layer.cout)
        where = (pixel.expand_as(values)[mask], channel.expand_as(values)[mask])
        flat.index_put_(where, values[mask])
        if isinstance(layer.module, nn.Linear):
            return flat.reshape(y.shape)
        n, _, h, w = y.shape
        return flat.view(n, h, w, -1).permute(0, 3, 1, 2)

    def _bit_true(self, rows: Tensor, cells: Tensor, flipped: Tensor) -> Tensor:
        """`CrossbarLayer.block_sums` of copies' `rows` on their `cells`, in chunks of copies
        whose readings of all their pixels hold about CHUNK_ELEMENTS values: each chunk's
        cells are then packed once per row block, not once per few pixels (with hundreds
        of copies, a chunk of pixels of every copy would hold a few pixels each)."""
        spec = self.layer.spec
        cycles = len(cycle_schedule(spec.input_bits, spec.dac_bits, self.layer.inputs.signed))
        step = max(1, CHUNK_ELEMENTS // (cycles * rows[0, ..., 0].numel() * cells.shape[-1]))
        parts = [
            self.layer.block_sums(
                rows[start : start + step],
                cells[start : start + step],
                flipped if flipped.dim() < cells.dim() else flipped[start : start + step],
            )
            for start in range(0, rows.shape[0], step)
        ]
        return torch.cat(parts)

    def _patches(self, xq: Tensor, source: Tensor, share: int, chosen: Tensor | None) -> Tensor:
        """(copies, groups, share, matrix rows): the input codes of each copy's slots (of the
        `chosen` copies; None: all), rows in the crossbar's order."""
        if chosen is not None:
            source = source.view(self.copies, share).index_select(0, chosen).reshape(-1)
        # a conv's (slots, groups, kernel positions, channels), a linear's (slots, 1, k)
        table = self.replica._table(xq, source)
        if isinstance(self.layer.module, nn.Conv2d):  # -> (channel, kernel row, column)
            table = table.transpose(-1, -2).flatten(-2)
        return table.view(-1, share, *table.shape[1:]).transpose(1, 2)

    def _layout(self, xq: Tensor) -> tuple[int, ...]:
        """The output layout `CrossbarLayer._to_output` takes."""
        if isinstance(self.layer.module, nn.Linear):
            return tuple(xq.shape[:-1])
        return (xq.shape[0], *self.replica.out_shape[-2:])
