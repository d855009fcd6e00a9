"""What spare columns and remapping cost, on tiny configurations checked by hand."""

import math
from pathlib import Path

import pytest
from torch import nn

from archsim.config.hardware import load_hardware
from archsim.errors import UserError
from archsim.mapping.geometry import Geometry
from archsim.mapping.records import LayerSpec
from archsim.mapping.tiling import tile_layer
from archsim.perf.remap_cost import index_bits, remap_cost
from tests.faults_support import toy_mapping

ISAAC = Geometry(128, 128, 2, 16, "offset", 8, 12, 168, 64, "isaac")


def _linear(rows: int, cols: int) -> LayerSpec:
    return LayerSpec("fc", "linear", (rows,), (cols,), rows * cols, rows * cols, rows, cols)


def test_spare_columns_take_weight_slots_and_add_physical_columns() -> None:
    # ISAAC row: 128 columns, 8 cells per 16-bit weight, the unit column beside them (a
    # 129th). Without spares 128 // 8 = 16 weights; one spare weight column takes 8 of the
    # 128: (128 - 8) // 8 = 15; two: (128 - 16) // 8 = 14.
    assert ISAAC.weights_per_row == 16
    one = Geometry(128, 128, 2, 16, "offset", 8, 12, 168, 64, "isaac", spare_columns=1)
    two = Geometry(128, 128, 2, 16, "offset", 8, 12, 168, 64, "isaac", spare_columns=2)
    assert (one.weights_per_row, two.weights_per_row) == (15, 14)
    assert (one.extra_columns, two.extra_columns) == (8, 16)  # inside the 128
    assert (one.read_columns, two.read_columns) == (9, 17)  # with the unit column
    # 32 output channels: ceil(32 / 16) = 2 crossbars, ceil(32 / 15) = 3 with one spare;
    # 30 channels fit ceil(30 / 16) = ceil(30 / 15) = 2 either way (spares in the slack).
    assert tile_layer(_linear(128, 32), ISAAC).crossbars == 2
    assert tile_layer(_linear(128, 32), one).crossbars == 3
    assert (
        tile_layer(_linear(128, 30), ISAAC).crossbars
        == tile_layer(_linear(128, 30), one).crossbars
        == 2
    )
    # every block reads its weights' cells + the unit column + the spares' 8 cells
    tiling = tile_layer(_linear(128, 32), one)
    assert tiling.bias_columns == 9
    assert [b.col_end - b.col_start for b in tiling.blocks] == [15, 15, 2]


def test_spare_columns_are_validated() -> None:
    with pytest.raises(UserError, match="spare columns"):
        Geometry(128, 128, 2, 16, "offset", 8, 12, 168, 64, "isaac", spare_columns=-1)
    with pytest.raises(UserError, match="cannot hold one weight"):
        Geometry(128, 128, 2, 16, "offset", 8, 12, 168, 64, "isaac", spare_columns=16)


def test_remap_tables_cost_by_hand() -> None:
    # One 4-input, 2-output linear layer in one 4-row block: row table 4 entries x 2 bits,
    # column table 2 entries x 1 bit = 10 bits. ISAAC's input register: 2 KB, 0.0021 mm^2,
    # 0.248 mW leakage, 0.775 pJ per 16-bit access; output register 0.01796875 pJ / 16 bits.
    model = nn.Sequential(nn.Linear(4, 2, bias=False))
    mapping = toy_mapping(model, rows=4, cols=17)
    hw = load_hardware("isaac")
    cost = remap_cost(mapping, hw, interval_s=1e-6)
    assert (index_bits(1), index_bits(2), index_bits(4), index_bits(5)) == (0, 1, 2, 3)
    assert cost.table_bits == 10
    assert math.isclose(cost.area_mm2, 10 * 0.0021 / 16384)
    assert math.isclose(cost.leakage_w, 10 * 0.248e-3 / 16384)
    # one MVM per image (a linear layer): 8 row bits and 2 column bits looked up
    assert cost.lookup_bits_per_image == {"row": 8, "column": 2}
    expected = 8 * 0.775e-12 / 16 + 2 * 0.01796875e-12 / 16 + cost.leakage_w * 1e-6
    assert math.isclose(cost.energy_per_image_j, expected)


def test_the_cost_model_converts_the_spare_columns() -> None:
    # A block of 15 weights with one spare reads 15 x 8 + 8 = 128 columns of the array and
    # the unit column beside it, 129, each converted once per input cycle (ISAAC: 16 one-bit
    # cycles): 2064 conversions per MVM for the first block.
    from archsim.mapping.mapper import map_specs
    from archsim.mapping.options import MapOptions
    from archsim.perf.plan_rram import physical_columns

    one = Geometry(128, 128, 2, 16, "offset", 8, 12, 168, 64, "isaac", spare_columns=1)
    mapping = map_specs(
        [_linear(128, 32)], one, input_shape=(128,), options=MapOptions(policy="all-rram")
    )
    lm = mapping.layer("fc")
    assert [physical_columns(lm, b) for b in lm.blocks] == [129, 129, 2 * 8 + 9]


@pytest.fixture(scope="module")
def lenet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.faults_support import save_trained_lenet5

    return save_trained_lenet5(tmp_path_factory.mktemp("lenet") / "lenet.safetensors")


@pytest.mark.parametrize("technique", ["spare-1", "remap", "remap+spare-2"])
def test_every_technique_fits_the_budget_and_pays_in_throughput(
    lenet: Path, technique: str
) -> None:
    """LeNet-5 on digits in a budget of the tiles one copy needs plus one: a technique's
    spares and remapping tables come out of the replicas, so its occupied area (tables
    included) stays within the budget's silicon and its throughput is at most none's."""
    from archsim.explore.ft_study import load_study
    from archsim.explore.ft_techniques import Technique, parse_technique, technique_cost
    from archsim.mapping.summary import summarize

    one_copy = summarize(load_study(lenet, "digits", limit=10).mapping("cpu-1x1")).tiles
    study = load_study(lenet, "digits", limit=10, budget_tiles=one_copy + 1)
    placements = {"cpu-1x1": ("cpu-1x1", ())}
    none = technique_cost(study, Technique("none", "cpu-1x1"))
    own = technique_cost(study, parse_technique(technique, placements, "cpu-1x1"))
    assert own["provisioned_area_mm2"] == none["provisioned_area_mm2"]
    assert none["occupied_area_mm2"] <= none["provisioned_area_mm2"]
    assert own["occupied_area_mm2"] <= own["provisioned_area_mm2"] * (1 + 1e-9)
    assert own["throughput_ips"] <= none["throughput_ips"]
