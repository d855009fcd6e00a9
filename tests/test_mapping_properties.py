"""Properties over random layer shapes and crossbar geometries (hypothesis).

- every weight of every group is placed exactly once per replica (block areas sum to the
  matrix, coverage count is 1 everywhere);
- no crossbar is overfilled: every block's cells (weight slices plus its unit column) lie
  inside the crossbar, blocks sharing a crossbar use disjoint rows and disjoint columns, and
  no crossbar holds two layers;
- crossbar counts equal the hand formula; RRAM + CPU + other MACs = the model's MACs.
"""

import math
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from torch import nn

from archsim.errors import UserError
from archsim.mapping.geometry import Geometry
from archsim.mapping.mapper import map_model, map_specs
from archsim.mapping.options import MapOptions
from archsim.mapping.placement import LayerToPlace, chips_needed
from archsim.mapping.records import LayerSpec
from archsim.mapping.tiling import block_diagonal_capacity, tile_layer

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _hand_crossbars(spec: LayerSpec, geometry: Geometry) -> int:
    """Crossbars one replica of `spec` needs, by the hand formula: groups packed block-diagonally
    when two or more fit one crossbar, else each group's row blocks x column blocks."""
    per_crossbar = block_diagonal_capacity(spec, geometry) if spec.groups > 1 else 0
    if per_crossbar >= 2:
        return math.ceil(spec.groups / per_crossbar)
    return (
        spec.groups
        * math.ceil(spec.matrix_rows / geometry.rows)
        * math.ceil(spec.matrix_cols / geometry.weights_per_row)
    )


@st.composite
def geometries(draw: st.DrawFn, chips: int | None = None) -> Geometry:
    try:
        return Geometry(
            rows=draw(st.integers(1, 40)),
            cols=draw(st.integers(1, 40)),
            bits_per_cell=draw(st.integers(1, 4)),
            weight_bits=draw(st.integers(1, 8)),
            encoding=draw(st.sampled_from(["offset", "differential"])),
            crossbars_per_ima=draw(st.integers(1, 4)),
            imas_per_tile=draw(st.integers(1, 3)),
            tiles_per_chip=draw(st.integers(1, 3)),
            chips=chips or draw(st.integers(1, 4)),
            offset_reference=draw(st.sampled_from(["extra_column", "input_count", "in_array"])),
        )
    except UserError:  # a crossbar too narrow for one weight
        assume(False)
        raise


@st.composite
def conv_specs(draw: st.DrawFn, name: str = "conv") -> LayerSpec:
    groups = draw(st.integers(1, 6))
    cin, cout = groups * draw(st.integers(1, 12)), groups * draw(st.integers(1, 12))
    kernel = (draw(st.sampled_from([1, 2, 3, 5])), draw(st.sampled_from([1, 3])))
    pixels = draw(st.integers(1, 6))
    macs = pixels * pixels * cout * (cin // groups) * kernel[0] * kernel[1]
    return LayerSpec(name=name, kind="conv", in_shape=(cin, pixels, pixels),
                     out_shape=(cout, pixels, pixels), macs=macs, params=0, in_channels=cin,
                     out_channels=cout, kernel=kernel, groups=groups)  # fmt: skip


@SETTINGS
@given(spec=conv_specs(), geometry=geometries())
def test_tiling_places_each_weight_once_and_never_overfills(
    spec: LayerSpec, geometry: Geometry
) -> None:
    tiling = tile_layer(spec, geometry)
    rows, cols, cpw = spec.matrix_rows, spec.matrix_cols, geometry.cells_per_weight
    coverage = np.zeros((spec.groups, rows, cols), dtype=np.int64)
    # A crossbar column sums the currents of all its rows and a row carries one input, so
    # blocks sharing a crossbar must use disjoint rows AND disjoint columns (not merely
    # disjoint cells). Column `cols` is the crossbar's one extra unit column (`extra_column`):
    # a cut block's unit column sits there; a packed group's is inside the array, beside it.
    packed = tiling.groups_per_crossbar > 1
    inside = geometry.read_columns if packed else geometry.extra_columns
    outside = 0 if packed else geometry.read_columns - geometry.extra_columns
    assert tiling.bias_columns == geometry.read_columns  # every unit column is read
    rows_used = defaultdict(lambda: np.zeros(geometry.rows, dtype=np.int64))
    cols_used = defaultdict(lambda: np.zeros(geometry.cols + 1, dtype=np.int64))
    for b in tiling.blocks:
        assert b.row_end - b.row_start <= geometry.rows
        assert b.col_end - b.col_start <= geometry.weights_per_row
        coverage[b.group, b.row_start : b.row_end, b.col_start : b.col_end] += 1
        width = (b.col_end - b.col_start) * cpw + inside
        assert b.row_offset + (b.row_end - b.row_start) <= geometry.rows
        assert b.col_offset + width <= geometry.cols
        rows_used[b.slot][b.row_offset : b.row_offset + b.row_end - b.row_start] += 1
        cols_used[b.slot][b.col_offset : b.col_offset + width] += 1
        cols_used[b.slot][geometry.cols] += outside
    assert (coverage == 1).all()
    assert all((used <= 1).all() for used in [*rows_used.values(), *cols_used.values()])
    assert sorted(cols_used) == list(range(tiling.crossbars))
    assert tiling.crossbars == _hand_crossbars(spec, geometry)
    assert tiling.weight_cells == spec.groups * rows * cols * cpw
    assert 0 < tiling.utilization(geometry) <= 1


@SETTINGS
@given(
    specs=st.integers(1, 4).flatmap(lambda n: st.tuples(*(conv_specs(f"l{i}") for i in range(n)))),
    geometry=geometries(),
    replicate=st.booleans(),
)
def test_placement_keeps_layers_apart_and_replicas_whole(
    specs: tuple[LayerSpec, ...], geometry: Geometry, replicate: bool
) -> None:
    base = [LayerToPlace(s.name, tile_layer(s, geometry)) for s in specs]
    if chips_needed(base, geometry) > geometry.chips:
        with pytest.raises(UserError, match=r"needs \d+ chips"):
            map_specs(
                specs,
                geometry,
                input_shape=(1,),
                options=MapOptions(policy="all-rram", replicate=replicate),
            )
        return
    m = map_specs(
        specs,
        geometry,
        input_shape=(1,),
        options=MapOptions(policy="all-rram", replicate=replicate),
    )
    owner: dict[tuple[int, int, int, int], str] = {}
    for lm in m.layers:
        spec = lm.spec
        blocks = lm.all_blocks()  # replicas are implicit: their positions, materialised
        assert lm.replicas >= 1 and len(blocks) == lm.replicas * len(lm.blocks)
        crossbars = set()
        for b in blocks:
            where = (b.chip, b.tile, b.ima, b.crossbar)
            assert 0 <= b.chip < geometry.chips and 0 <= b.tile < geometry.tiles_per_chip
            assert 0 <= b.ima < geometry.imas_per_tile
            assert 0 <= b.crossbar < geometry.crossbars_per_ima
            assert owner.setdefault(where, spec.name) == spec.name  # one layer per crossbar
            crossbars.add(where)
        assert len(crossbars) == lm.crossbars == lm.replicas * _hand_crossbars(spec, geometry)
        for replica in range(lm.replicas):
            area = sum(b.weight_rows * b.weight_cols for b in blocks if b.replica == replica)
            assert area == spec.groups * spec.matrix_rows * spec.matrix_cols


@st.composite
def small_models(draw: st.DrawFn) -> tuple[nn.Module, int]:
    """A random conv stack ending in a Linear, and its MACs counted independently."""
    channels, size, layers, macs = draw(st.integers(1, 4)), 6, [], 0
    for _ in range(draw(st.integers(1, 4))):
        out, kernel = draw(st.integers(1, 6)), draw(st.sampled_from([1, 3]))
        groups = draw(st.sampled_from([g for g in (1, 2, 3) if channels % g == 0 and out % g == 0]))
        layers += [nn.Conv2d(channels, out, kernel, padding=kernel // 2, groups=groups),
                   nn.BatchNorm2d(out), nn.ReLU()]  # fmt: skip
        macs += size * size * out * (channels // groups) * kernel * kernel
        channels = out
    classes = draw(st.integers(1, 5))
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, classes)]
    return nn.Sequential(*layers), macs + channels * classes


@settings(max_examples=25, deadline=None)
@given(model=small_models(), policy=st.sampled_from(["cpu-1x1", "cpu-1x1-ends", "all-rram"]))
def test_macs_split_between_rram_cpu_and_digital_adds_up(
    model: tuple[nn.Module, int], policy: str
) -> None:
    net, macs = model
    geometry = Geometry(16, 16, 2, 4, "offset", 4, 4, 4, 64)
    m = map_model(net, (net[0].in_channels, 6, 6), geometry, options=MapOptions(policy=policy))
    assert m.total_macs == macs
    other = sum(lm.spec.macs for lm in m.layers if lm.target in ("digital", "unsupported"))
    assert m.rram_macs + m.cpu_macs + other == macs
    assert len(m.layers) == len(list(net.children()))  # every layer listed exactly once
