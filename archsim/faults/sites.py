"""Where faults can fall: the weight layers a `Mapping` puts on RRAM, with their cell geometry.

Only layers whose target is `rram` are fault sites; CPU, digital (BatchNorm, pooling, adds)
and unsupported layers are never faulted, and neither are biases (added digitally). A weight
of a site occupies `cells_per_weight` cells side by side along one crossbar row: with offset
encoding the slices of (code + 2**(bits-1)), most significant first; with differential
encoding the positive array's slices followed by the negative array's, each most significant
first. Every replica of a replicated layer is a chip part with its own crossbars and faults:
the site holds every replica's blocks and its fault maps have a leading copy dimension
(`unit_shape`), and the fault simulator computes each output pixel with the replica
`mapping/dealing.py` deals it to (`faults/replicas.py`). A module called more than once (the
mapper's `name#2`, ...) is faulted as its first call's replica 0, since one weight tensor
cannot hold two fault maps. The offset encoding's unit (bias)
columns are not faulted (where they sit, beside the array or inside it, is the hardware's
`crossbar.offset_reference`; see faults/physical.py).
"""

import math
from dataclasses import dataclass

import numpy as np
from torch import Tensor, nn

from archsim.errors import UserError
from archsim.mapping.records import CrossbarBlock, Encoding, LayerMapping, Mapping


@dataclass(frozen=True)
class CellFormat:
    """How one quantized weight is spread over crossbar cells."""

    weight_bits: int
    bits_per_cell: int
    encoding: Encoding
    cells_per_weight: int

    def __post_init__(self) -> None:
        arrays = 2 if self.encoding == "differential" else 1
        if self.encoding not in ("offset", "differential"):
            raise ValueError(f"unknown encoding {self.encoding!r}")
        if self.cells_per_weight % arrays or self.slices * self.bits_per_cell < self.weight_bits:
            raise ValueError(
                f"{self.cells_per_weight} cells of {self.bits_per_cell} bits cannot hold a "
                f"{self.weight_bits}-bit weight with {self.encoding} encoding"
            )

    @property
    def slices(self) -> int:
        """Bit slices per array (half the cells with differential encoding)."""
        return self.cells_per_weight // (2 if self.encoding == "differential" else 1)

    @classmethod
    def of(cls, weight_bits: int, bits_per_cell: int, encoding: Encoding) -> "CellFormat":
        slices = math.ceil(weight_bits / bits_per_cell)
        cells = slices * (2 if encoding == "differential" else 1)
        return cls(weight_bits, bits_per_cell, encoding, cells)


@dataclass(frozen=True)
class FaultSite:
    """One RRAM weight layer: its module name, weight shape, cell format and crossbar blocks."""

    name: str
    weight_shape: tuple[int, ...]
    groups: int
    matrix_rows: int
    matrix_cols: int
    cells: CellFormat
    blocks: tuple[CrossbarBlock, ...]  # every faulted replica's (`CrossbarBlock.replica`)
    copies: int = 1  # replicas faulted, each with its own faults

    @property
    def weights_shape(self) -> tuple[int, ...]:
        """Shape of a weight fault map: the weight's, after a copy dimension if replicated."""
        return self.weight_shape if self.copies == 1 else (self.copies, *self.weight_shape)

    @property
    def cell_shape(self) -> tuple[int, ...]:
        """Shape of a cell fault map: `weights_shape` plus the cells of a weight."""
        return (*self.weights_shape, self.cells.cells_per_weight)

    def copy_offset(self, block: CrossbarBlock, per_copy: int) -> int:
        """Flat offset of `block`'s replica in a fault map of `per_copy` units per copy."""
        return block.replica * per_copy if self.copies > 1 else 0

    def weight_index(self, block: CrossbarBlock, r: np.ndarray, c: np.ndarray) -> np.ndarray:
        """Flat index in a weight fault map of the weights at matrix rows `r`, columns `c`
        of `block`'s group, in its replica's copy: (g * cols + c) * rows + r after the copy's
        offset (PyTorch's layout of a (groups * cols, rows) weight matrix)."""
        rows, cols = self.matrix_rows, self.matrix_cols
        per_copy = self.groups * cols * rows
        index: np.ndarray = self.copy_offset(block, per_copy) + (block.group * cols + c) * rows + r
        return index

    def cell_index(
        self, block: CrossbarBlock, r: np.ndarray, c: np.ndarray, k: np.ndarray
    ) -> np.ndarray:
        """Flat index in a cell fault map of cell `k` of those weights: the weight's index
        x cells per weight + k (a weight's cells lie side by side)."""
        index: np.ndarray = self.weight_index(block, r, c) * self.cells.cells_per_weight + k
        return index


Sites = tuple[FaultSite, ...]  # a model's fault sites, in layer order


def cell_format(mapping: Mapping, layer: LayerMapping) -> CellFormat:
    """The layer's cell format (the mapper's `cells_per_weight` when it sets one)."""
    derived = CellFormat.of(mapping.weight_bits, mapping.bits_per_cell, mapping.encoding)
    if not layer.cells_per_weight:
        return derived
    return CellFormat(
        mapping.weight_bits, mapping.bits_per_cell, mapping.encoding, layer.cells_per_weight
    )


def cell_formats(mapping: Mapping) -> dict[str, CellFormat]:
    """Cell format of every RRAM layer, by qualified module name."""
    return {lm.spec.name: cell_format(mapping, lm) for lm in mapping.rram_layers}


def weight_of(model: nn.Module, name: str) -> Tensor:
    """The weight parameter of the module called `name` (a one-line error if there is none)."""
    module = dict(model.named_modules()).get(name)
    weight = getattr(module, "weight", None)
    if not isinstance(weight, Tensor):
        raise UserError(f"mapping layer {name!r} is not a weight layer of this model")
    return weight


def fault_sites(model: nn.Module, mapping: Mapping) -> tuple[FaultSite, ...]:
    """Every layer the mapping puts on RRAM, checked against the model's weights."""
    sites: dict[str, FaultSite] = {}
    called = {lm.spec.name for lm in mapping.rram_layers}
    for lm in mapping.rram_layers:
        spec = lm.spec
        name = spec.name.split("#")[0]
        if name in sites:
            continue
        weight = weight_of(model, name)
        expected = spec.matrix_rows * spec.matrix_cols * spec.groups
        if weight.numel() != expected or weight.shape[0] != spec.matrix_cols * spec.groups:
            raise UserError(
                f"mapping layer {name!r} expects {spec.groups} x {spec.matrix_rows} x "
                f"{spec.matrix_cols} weights, the model has shape {tuple(weight.shape)}"
            )
        # a module called twice keeps replica 0: its replicas' pixels are not dealt
        copies = 1 if f"{name}#2" in called else lm.replicas
        sites[name] = FaultSite(
            name,
            tuple(weight.shape),
            spec.groups,
            spec.matrix_rows,
            spec.matrix_cols,
            cell_format(mapping, lm),
            lm.all_blocks() if copies > 1 else lm.blocks,
            copies,
        )
    return tuple(sites.values())


def crossbar_key(block: CrossbarBlock) -> tuple[int, int, int, int]:
    return (block.chip, block.tile, block.ima, block.crossbar)
