"""Where the offset encoding's reference comes from, and static power that follows what is on.

ISAAC (docs/reference.md s.1) stores 16 weights of 8 two-bit cells in a crossbar's 128 columns
and adds the unit column beside them, a 129th column with its own sample-and-hold and ADC
sample (`offset_reference: extra_column`). The mapper, the chip's peak and every cost read
that one setting, so they agree for every shipped description and every reference.
"""

import math
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_hw_components import ISAAC_OWN

from archsim.config.hardware import list_hardware, load_hardware, with_overrides
from archsim.config.hwschema import HardwareConfig
from archsim.hw.chip import chip_costs
from archsim.mapping.geometry import Geometry
from archsim.mapping.mapper import map_specs
from archsim.mapping.options import MapOptions
from archsim.mapping.records import LayerSpec
from archsim.perf.analytic import analytic_estimate
from archsim.perf.balance import costed_mapping
from archsim.perf.des import simulate
from archsim.perf.hw_costs import costs_from_hardware
from archsim.perf.plan import build_plans, plan_mapping
from archsim.perf.result import PerfResult

REFERENCES = ("extra_column", "input_count", "in_array")


def _linear(rows: int, cols: int) -> LayerSpec:
    return LayerSpec("fc", "linear", (rows,), (cols,), rows * cols, rows * cols, rows, cols)


@cache
def _hardware(name: str, reference: str) -> HardwareConfig:
    hw = load_hardware(name)
    if hw.crossbar.encoding != "offset":
        return hw
    return with_overrides(hw, {"crossbar": {"offset_reference": reference}})


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(list_hardware()), reference=st.sampled_from(REFERENCES))
def test_the_peak_and_the_mapper_agree_for_every_shipped_description(
    name: str, reference: str
) -> None:
    """A layer of rows x weights_per_row weights fills one crossbar (one weight more needs a
    second), and a layer filling every crossbar of an IMA runs one MVM at the chip's peak per
    crossbar (the IMA's ADCs shared as the peak assumes)."""
    hw = _hardware(name, reference)
    geometry, costs, chip = Geometry.from_hardware(hw), costs_from_hardware(hw), chip_costs(hw)
    assert geometry.weights_per_row == hw.weights_per_row == chip.weights_per_row
    rows, wide, per_ima = hw.crossbar.rows, geometry.weights_per_row, hw.ima.crossbars
    options = MapOptions(policy="all-rram")
    one = map_specs([_linear(rows, wide)], geometry, input_shape=(rows,), options=options)
    assert one.layer("fc").crossbars == 1
    over = map_specs([_linear(rows, wide + 1)], geometry, input_shape=(rows,), options=options)
    assert over.layer("fc").crossbars == 2
    ima = map_specs([_linear(rows, wide * per_ima)], geometry, input_shape=(rows,),
                    options=options)  # fmt: skip
    assert ima.layer("fc").crossbars == per_ima
    # one MVM of the full IMA: its compute stage for the layer's one output pixel
    (plan,) = [p for p in build_plans(ima, costs) if p.name == "fc"]
    (compute,) = [s for s in plan.stages if s.name == "compute"]
    mvm_s = compute.durations_s[0]
    per_crossbar = chip.peak_macs_per_s / chip.crossbars_per_chip
    assert rows * wide / mvm_s == pytest.approx(per_crossbar, rel=1e-9)


def test_isaac_reads_129_columns_and_the_others_128() -> None:
    # ISAAC's 16-weight block reads 16 x 8 weight cells and the unit column: 129 ADC samples a
    # cycle, 16 cycles an MVM = 2064 conversions and as many S+H samples; 128 rows x 129
    # columns x 16 = 264,192 cell reads. A digital count reads the 128 weight columns only.
    # In the array, 15 weights (120 columns) and the unit column: 121 columns.
    for reference, columns in (("extra_column", 129), ("input_count", 128), ("in_array", 121)):
        hw = _hardware("isaac", reference)
        geometry, costs = Geometry.from_hardware(hw), costs_from_hardware(hw)
        wide = geometry.weights_per_row
        mapping = map_specs([_linear(128, wide)], geometry, input_shape=(128,),
                            options=MapOptions(policy="all-rram"))  # fmt: skip
        (plan,) = [p for p in build_plans(mapping, costs) if p.name == "fc"]
        assert plan.action_counts["ima.adc/conversion"] == 16 * columns
        assert plan.action_counts["ima.sample_hold/sample"] == 16 * columns
        assert plan.action_counts["crossbar/read"] == 16 * 128 * columns
    # the S+H count per IMA follows the same setting: 8 x 129, 8 x 128, 8 x 128
    sample_holds = [_hardware("isaac", r).sample_holds_per_ima for r in REFERENCES]
    assert sample_holds == [1032, 1024, 1024]


def test_a_description_with_the_offset_encoding_must_say_where_its_reference_is(
    tmp_path: object,
) -> None:
    from archsim.errors import UserError

    hw = load_hardware("isaac")
    with pytest.raises((UserError, ValueError), match="offset_reference is required"):
        with_overrides(hw, {"crossbar": {"offset_reference": None}})


@cache
def _resnet20_one_chip() -> tuple:  # type: ignore[type-arg]
    from archsim.mapping.mapper import trace_net

    hw = load_hardware("isaac")
    geometry, costs = Geometry.from_hardware(hw), costs_from_hardware(hw)
    specs = tuple(trace_net("resnet20", 1.0, (3, 32, 32), 10, {})[1])
    mapping = costed_mapping(specs, geometry, costs, 1, MapOptions(policy="cpu-1x1"),
                           input_shape=(3, 32, 32), model_name="resnet20").mapping  # fmt: skip
    return mapping, costs


def _own_static_j(result: PerfResult) -> float:
    """Static joules of ISAAC's own blocks: a component added since adds its own."""
    return math.fsum(j for c, j in result.static_by_component_j.items() if c in ISAAC_OWN)


def test_resnet20_on_one_chip_pays_static_power_for_its_host_link_only() -> None:
    # ResNet-20 (option A shortcuts: no 1x1 layer, nothing on the CPU) on one ISAAC chip.
    # Every tile of the powered chip draws its static power (ISAAC gates no tile): one tile
    # 44.1221875 mW (tests/test_perf_cost_model.py: 44.122 mW with Table 2's 8 x 128 S+H,
    # plus 12 x 8 unit-column S+H of 1.953125e-6 mW), 168 of them 7.41253 W. Of the chip's
    # four HyperTransport links only the one to the host carries anything (the image in,
    # the result out), so the hardware file's `unused_links_power_gated` leaves one link of
    # 1.95 W up, not 4 x 1.95 = 7.8 W: 9.36253 W in all, x the interval.
    mapping, costs = _resnet20_one_chip()
    result = analytic_estimate(plan_mapping(mapping, costs))
    assert result.chips_used == 1
    tile_w = (44.122 + 96 * 1.953125e-6) * 1e-3
    static_w = 168 * tile_w + 1.95
    assert _own_static_j(result) == pytest.approx(static_w * result.interval_s, rel=1e-9)
    # on one chip no data crosses a chip-to-chip link: the link's energy is its static part
    assert result.energy_by_component_j["chip.hypertransport"] == pytest.approx(
        1.95 * result.interval_s, rel=1e-9
    )
    # with every link powered (the file's gating off) the static energy is 5.85 W x T more
    ungated = costs_from_hardware(
        with_overrides(load_hardware("isaac"), {"operation": {"unused_links_power_gated": False}})
    )
    more = analytic_estimate(plan_mapping(mapping, ungated))
    assert more.static_energy_j - result.static_energy_j == pytest.approx(
        3 * 1.95 * result.interval_s, rel=1e-9
    )


def test_the_des_measures_the_same_static_energy_per_interval() -> None:
    mapping, costs = _resnet20_one_chip()
    result = simulate(plan_mapping(mapping, costs), images=20)
    tile_w = (44.122 + 96 * 1.953125e-6) * 1e-3
    assert _own_static_j(result) == pytest.approx(
        (168 * tile_w + 1.95) * result.interval_s, rel=1e-9
    )
    assert math.isclose(
        result.dynamic_energy_j + result.static_energy_j + result.cpu_energy_j
        + result.link_energy_j, result.energy_per_image_j, rel_tol=1e-9,
    )  # fmt: skip
