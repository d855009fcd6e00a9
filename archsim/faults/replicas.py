"""Output pixels of a replicated layer computed with the replica the pipeline deals them to.

Every replica of a layer is a chip part with its own faults (`sites.py`: a replicated site's
fault map has a leading copy dimension). `ReplicaLayer` holds every replica's weights as one
(copies, *weight shape) tensor and computes the layer's output exactly, each pixel with its
own replica's weights, in one batched matrix product, with no loop over copies:

1. the dealing's slots (`mapping/dealing.Dealing.slots`, closed form, no sort) place copy c's
   s-th pixel of the batch at row c x share + s of a (copies, share) table; the shares are
   equal to within one pixel, and the few slots past a short copy's share repeat pixel 0 and
   are never read back. Layers dealt alike share a batch's slots (`DealtBatch`);
2. the table's rows (kernel row, kernel column, input channel: the order the copies'
   weights are stored in) are gathered from the zero-padded NHWC input in one gather of
   each (slot, kernel position)'s input channels, or for an input narrower than WIDE_PIXEL
   channels of each (slot, kernel row)'s kernel width x channels, from a copy of the input
   holding each position's kernel row; no patches are copied in pixel order first;
3. `bmm` of the table by the copies' weight matrices (as many multiply-adds as the layer's
   one convolution, plus that padding), and one gather of the products back to pixel order.

A replicated layer's module computes this way while a chip with faults on it is set
(`FaultInjector.chip`); otherwise every copy holds the fault-free weight and the ordinary
convolution runs. On the crossbar path the same product is the conv part of the fast mode,
and the dealing and patches serve its bit-true parts (`xbarcopies.py`, docs/crossbar-path.md).

The dealing continues from image to image: the layer counts the images it has computed since
the chip was set, in the order they are fed, so batch boundaries change nothing (a chip
scored again later, as two-stage sampling does, deals from its first image again).
"""

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from archsim.faults.models import STUCK_OFF, STUCK_ON
from archsim.faults.xbarlayer import CrossbarLayer
from archsim.mapping.dealing import DEFAULT_MAX_GROUPS, Dealing, group_rows
from archsim.mapping.records import LayerSpec, Mapping

# what the studies' outputs say of the replicas they fault (docs/design.md)
STUDY_REPLICAS = "every replica of the balanced design point whose cost is reported"
WIDE_PIXEL = 32  # input channels from which a conv gathers its pixels' inputs directly
# (model, its one-copy mapping, hardware config) -> the design point whose cost is reported
Balancer = Callable[[nn.Module, Mapping, Any], Mapping]


def replica_note(mapping: Mapping, what: str, dealt: bool) -> tuple[str, ...]:
    """The results' note on the replicas simulated (nothing without replicas); `what` names
    the design point (e.g. "the budget's balanced mapping"); `dealt`: whether pixels are
    dealt over the replicas (else replica 0 computes them all: only a module called twice
    keeps one copy, `sites.py`)."""
    counts = [lm.replicas for lm in mapping.rram_layers]
    if max(counts, default=1) == 1:
        return ()
    where = f"{what}, {'/'.join(map(str, counts))} replicas of its RRAM layers"
    if not dealt:
        return (f"replica 0 of each replicated layer faulted, computing every pixel ({where})",)
    return (
        f"every replica faulted, each computing the pixels dealt to it ({where}: the chip "
        "whose cost is reported)",
    )


class DealtBatch:
    """A dealing's slots for the batch being computed, as tensors: (slot of each pixel, the
    (copies, share) table's source pixel of each slot, share). Layers dealt alike (the same
    replicas and groups: ResNet-20's stage of 7 convs) share one and meet the same batch, so
    a batch computes them once; a new (first image, images, device) computes them again."""

    def __init__(self, dealing: Dealing) -> None:
        self.dealing = dealing
        self._key: tuple[int, int, str] | None = None
        self._value: tuple[Tensor, Tensor, int] | None = None

    def of(self, first: int, images: int, device: torch.device) -> tuple[Tensor, Tensor, int]:
        key = (first, images, str(device))
        if self._value is None or key != self._key:
            slot_np, share = self.dealing.slots(first, images)
            slot = torch.from_numpy(slot_np).to(device)
            # copy c's s-th pixel at c x share + s; the few slots past a short copy's share
            # repeat row 0 and are never read back
            source = torch.zeros(share * self.dealing.replicas, dtype=torch.int64, device=device)
            source[slot] = torch.arange(len(slot), device=device)
            self._key, self._value = key, (slot, source, share)
        return self._value


class ReplicaLayer:
    """One replicated Conv2d or Linear: every copy's weights, the dealing, the image count.
    `dealt`: the slots shared with the layers dealt alike (`DealtBatch`), else its own."""

    def __init__(
        self,
        module: nn.Module,
        spec: LayerSpec,
        clean: Tensor,
        copies: int,
        dealt: DealtBatch | None = None,
    ) -> None:
        if not isinstance(module, nn.Conv2d | nn.Linear):
            raise ValueError(f"replicated RRAM layers are Conv2d or Linear, not {module}")
        if isinstance(module, nn.Conv2d) and (
            isinstance(module.padding, str) or module.padding_mode != "zeros"
        ):
            raise ValueError(f"replicated conv {spec.name}: numeric zero padding only")
        self.module, self.copies = module, copies
        self.dealt = DealtBatch(Dealing.of(copies, group_of(spec))) if dealt is None else dealt
        self.dealing = self.dealt.dealing
        if (self.dealing.replicas, self.dealing.group_pixels) != (copies, group_of(spec)):
            raise ValueError(f"replicated layer {spec.name}: dealt unlike its shared slots")
        self.pixels = sum(self.dealing.group_pixels)
        self.out_shape = spec.out_shape
        # every copy's weights (fault-free; a chip writes its faulty weights here), stored
        # kernel-position major like the patches: (copies, out, kh, kw, in / groups)
        order = (0, 1, *range(3, clean.dim() + 1), 2) if clean.dim() == 4 else None
        stored = clean.unsqueeze(0).repeat(copies, *([1] * clean.dim()))
        if order is not None:
            stored = stored.permute(order).contiguous()
            stored = stored.permute(0, 1, 4, 2, 3)  # logical (copies, out, in, kh, kw)
        self.weights = stored
        self.images = 0  # images computed since the chip was set
        self.faulty = False  # whether the chip set holds faults on some copy

    def start(self, faulty: bool) -> None:
        """A new chip (or none): count images from 0; compute per copy if `faulty`."""
        self.images, self.faulty = 0, faulty

    def forward(self, x: Tensor) -> Tensor:
        """The module's output, each pixel computed with the copy dealt to it."""
        m, images, copies = self.module, x.shape[0], self.copies
        if not self.faulty:  # every copy holds the fault-free weight
            self.images += images
            if isinstance(m, nn.Conv2d):
                out: Tensor = m._conv_forward(x, self.weights[0], m.bias)  # torch leaves it untyped
                return out
            return F.linear(x, self.weights[0], m.bias)
        pixels = self._pixels(x)
        if pixels != images * self.pixels:
            raise ValueError(
                f"replicated layer: {pixels // images} output pixels per image, the "
                f"mapping dealt {self.pixels}"
            )
        slot, source, share = self.dealt.of(self.images, images, x.device)
        self.images += images
        table = self._table(x, source)
        groups = table.shape[1]
        table = table.reshape(copies, share, groups, -1)  # a copy only if groups > 1
        k = table.shape[-1]
        weights = self.weights
        if weights.dim() == 5:  # stored (copies, out, kh, kw, in / groups)
            weights = weights.permute(0, 1, 3, 4, 2)
        weights = weights.reshape(copies, groups, -1, k)  # (copies, groups, out / g, k)
        if groups == 1:
            y = torch.bmm(table[:, :, 0], weights[:, 0].transpose(1, 2))
        else:
            y = torch.einsum("csgk,cgok->csgo", table, weights)
        y = y.reshape(copies * share, -1).index_select(0, slot)
        if m.bias is not None:
            y = y + m.bias
        return self._output(y, x)

    def _pixels(self, x: Tensor) -> int:
        """Output pixels of input `x`, all images."""
        m = self.module
        if isinstance(m, nn.Linear):
            return x.numel() // x.shape[-1]
        h, w = self._out_size(x)
        return x.shape[0] * h * w

    def _out_size(self, x: Tensor) -> tuple[int, int]:
        m = self.module
        assert isinstance(m, nn.Conv2d)
        (ph, pw), (sh, sw), (dh, dw) = m.padding, m.stride, m.dilation  # type: ignore[misc]
        kh, kw = m.kernel_size
        h = (x.shape[2] + 2 * ph - dh * (kh - 1) - 1) // sh + 1
        return h, (x.shape[3] + 2 * pw - dw * (kw - 1) - 1) // sw + 1

    def _table(self, x: Tensor, source: Tensor) -> Tensor:
        """The input rows of pixels `source` (flat indices in evaluation order): (rows,
        groups, k), a conv's k ordered (kernel row, kernel column, in / groups) like the stored
        weights, in one gather from the padded NHWC input: of every (pixel, kernel position)'s
        input channels for a conv of at least WIDE_PIXEL input channels, else of every (pixel,
        kernel row)'s kernel width x channels from a copy of the input with each position's
        row beside it (fewer, longer rows: faster for narrow inputs, bench docstring)."""
        m = self.module
        if isinstance(m, nn.Linear):
            return x.reshape(-1, 1, x.shape[-1]).index_select(0, source)
        (ph, pw), (sh, sw), (dh, dw) = m.padding, m.stride, m.dilation  # type: ignore[misc]
        kh, kw = m.kernel_size
        h, w = self._out_size(x)
        xp = F.pad(x, (pw, pw, ph, ph)).permute(0, 2, 3, 1).contiguous()  # NHWC
        n, hp, wp, c = xp.shape
        span = 1 if c >= WIDE_PIXEL else kw  # kernel columns a gathered row holds
        # rows start at every input position whose `span` columns stay inside the input
        starts = n * hp * wp - (span - 1) * dw
        rows = xp.as_strided((starts, span, c), (c, dw * c, 1)).reshape(starts, span * c)
        at = torch.arange(h, device=x.device)[:, None] * (sh * wp)
        at = at + torch.arange(w, device=x.device)[None, :] * sw  # a pixel's first input
        base = torch.arange(n, device=x.device)[:, None] * (hp * wp) + at.reshape(1, -1)
        tap = torch.arange(kh, device=x.device)[:, None] * (dh * wp)
        tap = tap + torch.arange(kw // span, device=x.device)[None, :] * dw  # row starts
        index = base.reshape(-1)[source][:, None] + tap.reshape(1, -1)
        table = rows.index_select(0, index.reshape(-1))
        return table.view(len(source), kh * kw, m.groups, -1).transpose(1, 2)

    def _output(self, y: Tensor, x: Tensor) -> Tensor:
        """(pixel rows, out) products in the module's output shape."""
        m = self.module
        if isinstance(m, nn.Linear):
            return y.reshape(*x.shape[:-1], -1)
        h, w = self.out_shape[-2:]  # the mapping's (checked: same pixels per image)
        return y.view(x.shape[0], h, w, -1).permute(0, 3, 1, 2)  # channels-last strides


def group_of(spec: LayerSpec) -> tuple[int, ...]:
    """The pixels of each group of `spec`'s output rows the dealing deals."""
    return group_rows(spec, DEFAULT_MAX_GROUPS)[1]


def stored_kinds(layer: CrossbarLayer, index: Tensor, kind: Tensor, copies: int) -> Tensor:
    """The kinds of stuck cells (flat `index` into a replicated layer's (copies, weights,
    cells) map) as the crossbar's logical values see them: a complemented column (ISAAC's
    flip, fixed by the fault-free weights, the same in every copy) stores cell_max - value,
    so a cell stuck on there reads 0 and one stuck off reads cell_max."""
    per_copy = layer.quantized.codes.numel() * layer.spec.cells.cells_per_weight
    position = layer._cell_positions(index % per_copy)
    width = layer.flipped.shape[-1]  # (groups, blocks, 1, cols x cells)
    column = position % width
    block = position // (layer.spec.rows * width)
    flipped = layer.flipped.reshape(-1, width)[block, column]
    return torch.where(flipped, STUCK_ON + STUCK_OFF - kind, kind).to(kind.dtype)
