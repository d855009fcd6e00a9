"""Put a chip's faults into a model, and sample fresh faults for fault-aware training.

Evaluation (`FaultInjector`): the RRAM layers' weights are quantized once; a session swaps the
quantized weights into the ONE model object, then each chip only overwrites its faulty weights
in place (O(faults) work, tiny tensors) and puts the quantized values back afterwards; the
original float weights return when the session ends. Writes go through a flat 1-D view of each
weight's storage at storage offsets (row-major index -> offset via the strides, so contiguous and
channels-last weights alike), one 1-D `index_put_` per layer instead of one with a 4-D index.
The model thus runs at fault-free speed (vmap over chips was 0.57x and grouped convolution
0.72x of this on CPU). A replicated layer holds every replica's weights (`replicas.py`): a
chip writes its faulty weights into the copies they belong to, and the layer computes each
output pixel with the copy the pipeline deals it to.

Training (`sample_faulty_weights`, `sample_model_faults`): a fresh fault draw per call from a
caller's `torch.Generator`, differentiable with respect to the weights that survive::

    gen = torch.Generator(device=device).manual_seed(seed)
    names = rram_layer_names(mapping)
    for x, y in batches:
        weights = sample_model_faults(model, names, rate, "sft", gen)
        loss = F.cross_entropy(torch.func.functional_call(model, weights, (x,)), y)
        loss.backward()   # BatchNorm running statistics update in the model as usual
"""

from collections.abc import Iterable, Iterator
from collections.abc import Mapping as MappingABC
from contextlib import contextmanager

import torch
from torch import Tensor, nn

from archsim.errors import UserError
from archsim.faults.effects import cell_faults, weight_faults
from archsim.faults.mechanisms import mechanism_of
from archsim.faults.models import FaultModel, check_rate
from archsim.faults.presets import get_fault_model
from archsim.faults.quantize import QuantizedWeight, quantize_weight
from archsim.faults.records import ChipFaults
from archsim.faults.replicas import DealtBatch, ReplicaLayer, group_of, stored_kinds
from archsim.faults.sites import CellFormat, FaultSite, fault_sites, weight_of
from archsim.faults.xbarlayer import CrossbarLayer
from archsim.faults.xbarpath import CrossbarPath, CrossbarSetup
from archsim.mapping.dealing import Dealing
from archsim.mapping.records import Mapping


class FaultInjector:
    """Quantized RRAM weights of one model, ready to take any chip's faults.

    Build it after training: it quantizes the weights the model has when it is created. With
    `crossbar` the RRAM layers compute through their crossbars inside `session()` (DAC, cells,
    ADC: `xbarpath.py`) and a chip's faults are cell states there, not weight substitutions.
    """

    def __init__(
        self,
        model: nn.Module,
        mapping: Mapping,
        per_channel: bool = False,
        crossbar: CrossbarSetup | None = None,
    ) -> None:
        self.model = model
        self.mapping = mapping
        self.per_channel = per_channel
        self.sites = fault_sites(model, mapping)
        self.weights = {s.name: weight_of(model, s.name) for s in self.sites}
        self.quantized: dict[str, QuantizedWeight] = {
            name: quantize_weight(w, mapping.weight_bits, per_channel)
            for name, w in self.weights.items()
        }
        self.clean = {
            name: q.dequantize().to(self.weights[name].dtype) for name, q in self.quantized.items()
        }
        self._in_session = False
        self.path = (
            None if crossbar is None else CrossbarPath(model, self.sites, self.quantized, crossbar)
        )
        self.replicas = self._replica_layers(mapping)  # layers dealt over their replicas
        if self.path is not None:
            self.path.deal(self.replicas)

    def _replica_layers(self, mapping: Mapping) -> dict[str, ReplicaLayer]:
        """The replicated layers whose pixels are dealt over their replicas, those dealt
        alike (the same replicas and groups) sharing their batch's slots."""
        specs = {lm.spec.name: lm.spec for lm in mapping.rram_layers}
        modules = dict(self.model.named_modules())
        dealt: dict[tuple[int, tuple[int, ...]], DealtBatch] = {}
        out = {}
        for s in self.sites:
            if s.copies > 1:
                key = (s.copies, group_of(specs[s.name]))
                shared = dealt.setdefault(key, DealtBatch(Dealing.of(*key)))
                copy = self._copy(s.name)
                out[s.name] = ReplicaLayer(modules[s.name], specs[s.name], copy, s.copies, shared)
        return out

    def _copy(self, name: str) -> Tensor:
        """One fault-free copy of layer `name`'s weight as its pixels are computed with: the
        quantized weight, or on the crossbar path the fast conv's weight (input codes in)."""
        return self.clean[name] if self.path is None else self.path.layers[name].fast_weight

    def changes(
        self, site: FaultSite, chip: ChipFaults, on: CrossbarLayer | None = None
    ) -> tuple[Tensor, Tensor]:
        """(row-major flat indices, faulted values) of the weights of `site` that `chip` alters.

        Indices count in the weight's logical shape whatever its memory layout (channels_last
        too); use `torch.unravel_index(where, shape)` to write them. `on`: the values of the
        crossbar layer's fast conv (stuck cells of its complemented columns read inverted).
        """
        if site.name not in chip.layers:
            raise UserError(f"fault map has no states for RRAM layer {site.name!r}")
        q = self.quantized[site.name]
        faults = chip.layers[site.name]
        index = faults.index.to(q.codes.device, non_blocking=True)
        kind = faults.kind.to(q.codes.device, non_blocking=True)
        codes = q.codes.reshape(-1)
        if chip.kind == "weight":
            where, new = weight_faults(codes, index, kind, q.qmax)
        else:
            kind = kind if on is None else stored_kinds(on, index, kind, site.copies)
            where, new = cell_faults(codes, index, kind, site.cells)
        values = q.dequantize_at(where, new)
        if on is not None:
            values = values * on.inputs.scale
        return where, values.to(self.clean[site.name].dtype)

    def faulted_weights(self, chip: ChipFaults | None) -> dict[str, Tensor]:
        """Per RRAM layer, the weight the chip computes with (None: quantized, fault-free);
        refused for replicated layers (their copies compute different pixels)."""
        if self.replicas:
            raise ValueError("replicated layers have one weight per copy, not one weight")
        out = {}
        for site in self.sites:
            weight = self.clean[site.name].clone()
            if chip is not None:
                where, values = self.changes(site, chip)
                flat, offsets = storage_view(weight, where)
                flat[offsets] = values
            out[site.name] = weight
        return out

    @contextmanager
    def session(self) -> Iterator[nn.Module]:
        """Within the block the RRAM layers hold their quantized weights; floats come back."""
        originals = {name: w.detach().clone() for name, w in self.weights.items()}
        try:
            with torch.no_grad():
                for name, weight in self.weights.items():
                    weight.copy_(self.clean[name])
            self._in_session = True
            for layer in self.replicas.values():  # an instance attribute shadows the class's
                if self.path is None:
                    layer.module.forward = layer.forward  # type: ignore[method-assign,assignment]
            if self.path is None:
                yield self.model
            else:
                with self.path.installed():
                    yield self.model
        finally:
            self._in_session = False
            for layer in self.replicas.values():
                layer.start(False)
                vars(layer.module).pop("forward", None)
            with torch.no_grad():
                for name, original in originals.items():
                    self.weights[name].copy_(original)

    @contextmanager
    def chip(self, chip: ChipFaults) -> Iterator[nn.Module]:
        """Inside `session()`: the model computes as `chip` within the block."""
        if not self._in_session:
            raise RuntimeError("FaultInjector.chip() must run inside session()")
        if self.path is not None:  # the cells of every layer and copy
            self.path.set_chip(chip)
        touched = []
        try:
            with torch.no_grad():
                for site in self.sites:
                    layer = self.replicas.get(site.name)
                    if self.path is not None and (
                        layer is None or self.path.programs_copies(site.name)
                    ):
                        continue
                    on = None if self.path is None else self.path.layers[site.name]
                    where, values = self.changes(site, chip, on)
                    if layer is None:
                        flat, offsets = storage_view(self.weights[site.name], where)
                    else:  # the copies' weights, each copy its own faults
                        flat, offsets = storage_view(layer.weights, where)
                        layer.start(bool(where.numel()))
                    touched.append((flat, offsets, flat.index_select(0, offsets)))
                    flat.index_copy_(0, offsets, values)
            yield self.model
        finally:
            with torch.no_grad():
                for flat, offsets, old in touched:
                    flat.index_copy_(0, offsets, old)
            for layer in self.replicas.values():
                layer.start(False)
            if self.path is not None:
                self.path.set_chip(None)

    @contextmanager
    def applied(self, chip: ChipFaults | None) -> Iterator[nn.Module]:
        """Within the block the model computes as `chip` (None: quantized, fault-free)."""
        with self.session():
            if chip is None:
                yield self.model
            else:
                with self.chip(chip):
                    yield self.model


def storage_view(weight: Tensor, where: Tensor) -> tuple[Tensor, Tensor]:
    """(a 1-D view of `weight`'s storage, the storage offsets of row-major flat indices).

    The weight must be dense (no gaps or overlaps, any dimension order: contiguous or channels
    last), which parameters are.
    """
    if weight.is_contiguous():
        return weight.view(-1), where
    expected = 1
    for size, stride in sorted(zip(weight.shape, weight.stride(), strict=True), key=lambda d: d[1]):
        if size > 1 and stride != expected:
            raise ValueError("fault injection needs a dense weight tensor (no gaps, no overlaps)")
        expected *= size
    dims = merged_dims(weight)
    offsets, rest = torch.zeros_like(where), where
    for size, stride in reversed(dims[1:]):
        offsets += (rest % size) * stride
        rest = rest // size
    offsets += rest * dims[0][1]
    flat = weight.as_strided((weight.numel(),), (1,), weight.storage_offset())
    return flat, offsets


def merged_dims(weight: Tensor) -> list[tuple[int, int]]:
    """(size, stride) of `weight`'s dimensions, outermost first, neighbours that run on
    contiguously in storage (stride = next stride x next size) merged into one, size-1 ones
    dropped: a channels-last or a permuted weight has 2 or 3, so fewer index operations."""
    dims: list[tuple[int, int]] = []
    for size, stride in zip(weight.shape, weight.stride(), strict=True):
        if size == 1:
            continue
        if dims and dims[-1][1] == stride * size:
            dims[-1] = (dims[-1][0] * size, stride)
        else:
            dims.append((size, stride))
    return dims or [(1, 1)]


def rram_layer_names(mapping: Mapping) -> list[str]:
    """Qualified names of the modules the mapping puts on RRAM (the only ones to fault)."""
    return list(dict.fromkeys(lm.spec.name.split("#")[0] for lm in mapping.rram_layers))


def sample_faulty_weights(
    weight: Tensor,
    rate: float,
    fault_model: FaultModel | str,
    generator: torch.Generator,
    cells: CellFormat | None = None,
) -> Tensor:
    """`weight` with freshly drawn stuck-at faults, for one training forward pass.

    The fault model's mechanism draws them (`mechanisms.py`): weight granularity forces a
    faulty weight to 0 (stuck-off) or sign(w) * max|w| of the layer (stuck-on) with zero
    gradient; cell granularity (needs `cells`, e.g. `cell_formats(mapping)[name]`) quantizes the
    layer to `cells.weight_bits`, forces the faulty cells, and gives weights with a faulty cell
    the faulted value with a straight-through gradient (`independent.py`). Surviving weights pass
    through with gradient 1; other granularities are refused. `generator` must live on
    `weight.device`. No rescaling: drop-connect's 1/(1-p) is the caller's choice.
    """
    model = get_fault_model(fault_model) if isinstance(fault_model, str) else fault_model
    return mechanism_of(model).sample(weight, check_rate(rate), model, generator, cells)


def sample_model_faults(
    model: nn.Module,
    layers: Iterable[str],
    rate: float,
    fault_model: FaultModel | str,
    generator: torch.Generator,
    cells: MappingABC[str, CellFormat] | None = None,
) -> dict[str, Tensor]:
    """`{"<layer>.weight": faulted weight}` for `torch.func.functional_call(model, ...)`."""
    return {
        f"{name}.weight": sample_faulty_weights(
            weight_of(model, name),
            rate,
            fault_model,
            generator,
            None if cells is None else cells[name],
        )
        for name in layers
    }
