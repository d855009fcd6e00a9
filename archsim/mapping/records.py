"""Immutable records passed from the mapper to the performance model and the fault simulator.

A weight layer is a matrix of `rows = k*k*cin/groups` by `cols = cout` logical weights (PyTorch's
`weight.reshape(cout, -1)` transposed: matrix row r is flattened index (cin_g, kh, kw) and
matrix column c is output channel c). Each logical weight occupies `cells_per_weight`
physical cells laid side by side along a crossbar row (ISAAC's layout), so a block of
`block_rows` x `block_cols` weights uses `block_rows` crossbar rows and
`block_cols * cells_per_weight (+ bias columns)` crossbar columns.
"""

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from archsim.mapping.layout import ReplicaLayout

Target = Literal["rram", "cpu", "unsupported", "digital"]
Encoding = Literal["offset", "differential"]


@dataclass(frozen=True)
class LayerSpec:
    """One layer as seen by one forward pass; shapes exclude the batch dimension."""

    # qualified module name, e.g. "layer1.0.conv1"; the zoo's residual Add is "layer1.0.add";
    # the 2nd, 3rd... call of a reused module is "name#2", "name#3"
    name: str
    # conv | linear | bn | pool | add | act | flatten | other, and from traced graphs
    # (functional.py): eltwise | softmax | norm | matmul | concat | transpose
    kind: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    macs: int  # multiply-accumulates per image (0 for layers without weights)
    params: int
    in_channels: int = 0
    out_channels: int = 0
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    groups: int = 1
    has_bias: bool = False
    supported: bool = True
    reason: str = ""  # why a layer cannot be mapped, or what a functional op is and where
    operand_elements: int = 0  # a matmul's second activation operand, elements per image

    @property
    def is_weight_layer(self) -> bool:
        return self.kind in ("conv", "linear")

    @property
    def matrix_rows(self) -> int:
        """Rows of one group's weight matrix: k*k*cin/groups."""
        return self.kernel[0] * self.kernel[1] * (self.in_channels // self.groups)

    @property
    def matrix_cols(self) -> int:
        """Columns of one group's weight matrix: cout/groups."""
        return self.out_channels // self.groups

    @property
    def output_pixels(self) -> int:
        """Number of output positions (one matrix-vector product each) per image: a Linear on
        a token sequence (N, D) runs once per token."""
        if self.kind == "linear":
            return self.out_shape[0] if len(self.out_shape) == 2 else 1
        return self.out_shape[1] * self.out_shape[2] if len(self.out_shape) == 3 else 1


class CrossbarBlock(NamedTuple):
    """A rectangle of one layer's weight matrix stored on one physical crossbar.

    A named tuple, not a dataclass: a node-wide replicated mapping holds about a million of
    them, and a tuple is built several times faster than a frozen dataclass."""

    layer: str
    group: int  # conv group index (0 unless grouped/depthwise)
    replica: int
    row_start: int  # logical matrix rows [row_start, row_end) of this group's matrix
    row_end: int
    col_start: int  # logical matrix columns [col_start, col_end) of this group's matrix
    col_end: int
    chip: int
    tile: int  # tile index within the chip
    ima: int  # IMA index within the tile
    crossbar: int  # crossbar index within the IMA
    row_offset: int = 0  # first crossbar row used (several small blocks may share a crossbar)
    col_offset: int = 0  # first crossbar column used

    @property
    def weight_rows(self) -> int:
        return self.row_end - self.row_start

    @property
    def weight_cols(self) -> int:
        return self.col_end - self.col_start


@dataclass(frozen=True)
class LayerMapping:
    """Where and how one layer runs."""

    spec: LayerSpec
    target: Target  # rram | cpu (incl. activation matmuls) | digital (BN, pool, ...) | unsupported
    reason: str  # why this target (policy rule, override, or why unsupported)
    cells_per_weight: int = 0  # physical cells per logical weight (x2 for differential)
    bias_columns: int = 0  # extra crossbar columns per block (unit column, spare columns)
    replicas: int = 1
    # one replica's blocks (replica 0); the others are `layout.stride` crossbars apart
    blocks: tuple[CrossbarBlock, ...] = ()
    layout: ReplicaLayout | None = None
    crossbars: int = 0  # distinct crossbars used by this layer (all replicas)
    utilization: float = 0.0  # used cells / cells of the crossbars it occupies
    weight_cells: int = 0  # cells holding weight slices, all replicas (unit columns excluded)
    groups_per_crossbar: int = 0  # > 1: small group matrices packed block-diagonally

    @property
    def rram_macs(self) -> int:
        return self.spec.macs if self.target == "rram" else 0

    @property
    def chips(self) -> frozenset[int]:
        """Chips holding a block of some replica."""
        return self.layout.chips if self.layout else frozenset()

    @property
    def tiles(self) -> frozenset[tuple[int, int]]:
        """(chip, tile) of every tile holding a block of some replica."""
        return self.layout.tiles if self.layout else frozenset()

    def all_blocks(self) -> tuple[CrossbarBlock, ...]:
        """Every replica's blocks as records: for inspection (slow for node-wide mappings)."""
        if self.layout is None:
            return self.blocks
        p = self.layout.positions
        return tuple(
            self.blocks[b]._replace(replica=r, chip=c, tile=t, ima=i, crossbar=x)
            for r, b, c, t, i, x in zip(
                p.replica.tolist(),
                p.block.tolist(),
                p.chip.tolist(),
                p.tile.tolist(),
                p.ima.tolist(),
                p.crossbar.tolist(),
                strict=True,
            )
        )

    @property
    def cpu_macs(self) -> int:
        return self.spec.macs if self.target == "cpu" else 0


@dataclass(frozen=True)
class Mapping:
    """A whole network placed on a node of chips; every extracted layer appears once."""

    model: str
    width: float
    hardware: str
    policy: str
    input_shape: tuple[int, ...]
    crossbar_rows: int
    crossbar_cols: int
    weight_bits: int
    bits_per_cell: int
    encoding: Encoding
    layers: tuple[LayerMapping, ...]
    crossbars_per_ima: int
    imas_per_tile: int
    tiles_per_chip: int
    chips_available: int
    notes: tuple[str, ...] = field(default_factory=tuple)
    overrides: tuple[str, ...] = ()  # per-layer overrides applied after the policy, in order
    replicate: bool = False  # whether spare crossbars were filled with layer replicas
    replicate_scope: str = ""  # used-chips | node | a chip count ("" without replication)
    replicate_budget_chips: int = 0  # chips replication could fill (0 without replication)
    budget_chips: int = 0  # chips provisioned for this design point (>= the chips it uses)
    budget_tiles: int = 0  # tiles provisioned when the budget is part of a chip (0: whole)
    packed_imas: bool = False  # layers start on the next free crossbar, sharing IMAs
    allow_unsupported: bool = False  # unsupported layers mapped anyway, left out of the costs

    def layer(self, name: str) -> LayerMapping:
        for lm in self.layers:
            if lm.spec.name == name:
                return lm
        raise KeyError(name)

    @property
    def rram_layers(self) -> tuple[LayerMapping, ...]:
        return tuple(lm for lm in self.layers if lm.target == "rram")

    @property
    def total_macs(self) -> int:
        return sum(lm.spec.macs for lm in self.layers)

    @property
    def rram_macs(self) -> int:
        return sum(lm.rram_macs for lm in self.layers)

    @property
    def cpu_macs(self) -> int:
        return sum(lm.cpu_macs for lm in self.layers)

    @property
    def crossbars(self) -> int:
        return sum(lm.crossbars for lm in self.layers)

    @property
    def chips_used(self) -> int:
        """Chips holding at least one crossbar block."""
        return len(frozenset().union(*(lm.chips for lm in self.rram_layers)))
