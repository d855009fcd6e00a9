"""Properties of the performance model over random small layers and crossbar geometries."""

import math
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_perf_des import COSTS

from archsim.mapping.geometry import Geometry
from archsim.mapping.mapper import map_specs
from archsim.mapping.options import MapOptions
from archsim.mapping.records import LayerSpec
from archsim.perf.analytic import analytic_estimate
from archsim.perf.des import simulate
from archsim.perf.plan import build_plans, plan_mapping
from archsim.perf.stages import LayerPlan


def conv_spec(cin: int, cout: int, kernel: int, stride: int, size: int) -> LayerSpec:
    pad = kernel // 2
    out = (size + 2 * pad - kernel) // stride + 1
    return LayerSpec(
        name="conv", kind="conv", in_shape=(cin, size, size), out_shape=(cout, out, out),
        macs=out * out * cout * cin * kernel * kernel, params=cin * cout * kernel * kernel,
        in_channels=cin, out_channels=cout, kernel=(kernel, kernel), stride=(stride, stride),
        padding=(pad, pad),
    )  # fmt: skip


def digital(name: str, kind: str, shape: tuple[int, int, int]) -> LayerSpec:
    return LayerSpec(name=name, kind=kind, in_shape=shape, out_shape=shape, macs=0, params=0)


layers = st.tuples(
    st.integers(1, 6), st.integers(1, 9), st.sampled_from([1, 3]), st.integers(1, 2),
    st.integers(2, 9),
)  # fmt: skip
geometries = st.builds(
    lambda rows, cols, cells, per_ima: Geometry(
        rows=rows, cols=cols, bits_per_cell=1, weight_bits=cells, encoding="offset",
        crossbars_per_ima=per_ima, imas_per_tile=4, tiles_per_chip=8, chips=8, name="random"),
    st.integers(4, 24), st.integers(4, 16), st.integers(1, 3), st.integers(1, 4),
)  # fmt: skip


def ports_shared(plans: tuple[LayerPlan, ...]) -> bool:
    """Whether two lanes (of a layer or of two) send through one router port or chip link."""
    places = [place for plan in plans for stage in plan.stages for lane in stage.lane_links
              for place, _ in lane]  # fmt: skip
    return len(places) > len(set(places))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layer=layers, geometry=geometries, adcs=st.integers(1, 4), images=st.integers(1, 5),
       replicate=st.booleans())  # fmt: skip
def test_energy_breakdowns_sum_and_count_every_conversion(
    layer: tuple[int, int, int, int, int],
    geometry: Geometry,
    adcs: int,
    images: int,
    replicate: bool,
) -> None:
    spec = conv_spec(*layer)
    shape = spec.out_shape
    specs = [spec, digital("bn", "bn", shape), digital("relu", "act", shape)]  # type: ignore[arg-type]
    mapping = map_specs(
        specs,
        geometry,
        input_shape=spec.in_shape,
        options=MapOptions(policy="all-rram", replicate=replicate),
    )
    costs = replace(COSTS, adcs_per_ima=adcs)
    result = simulate(plan_mapping(mapping, costs), images=images)
    total = result.energy_per_image_j
    assert math.fsum(result.energy_by_component_j.values()) == pytest.approx(total, rel=1e-9)
    assert math.fsum(result.energy_by_layer_j.values()) == pytest.approx(total, rel=1e-9)
    # every pixel converts every used column of every row block once per input cycle:
    # row_blocks x (cout x cells per weight + column blocks x one unit column)
    pixels = shape[1] * shape[2]
    row_blocks = math.ceil(spec.matrix_rows / geometry.rows)
    col_blocks = math.ceil(spec.out_channels / geometry.weights_per_row)
    columns = row_blocks * (spec.out_channels * geometry.cells_per_weight + col_blocks)
    conversions = pixels * COSTS.input_cycles * columns
    # the ADC's 10 uW static per powered tile (tiles_per_chip=1 in COSTS) x the interval
    static = 1e-5 * result.chips_used * COSTS.tiles_per_chip * result.interval_s
    assert result.static_energy_j == pytest.approx(static, rel=1e-9)
    adc_dynamic = result.energy_by_component_j["ima.adc"] - static
    assert adc_dynamic == pytest.approx(conversions * 1e-12, rel=1e-9)
    closed = analytic_estimate(plan_mapping(mapping, costs), images=images)
    if adcs >= geometry.crossbars_per_ima and not ports_shared(build_plans(mapping, costs)):
        # an ADC per crossbar and a router port per lane: nothing is shared, so the DES is
        # the closed form for one image, and streams within 2% of it
        assert result.latency_s == pytest.approx(closed.latency_s, rel=1e-9)
        assert result.interval_s == pytest.approx(closed.interval_s, rel=0.02)
    else:
        # replicas sharing an IMA's ADCs, or lanes sharing a tile's router port, queue for
        # them: contention only adds time
        assert result.latency_s >= closed.latency_s * (1 - 1e-9)
    # the closed-form interval is a lower bound the DES never undercuts
    assert result.interval_s >= closed.interval_s * (1 - 1e-12)


@settings(max_examples=15, deadline=None)
@given(layer=layers, adcs=st.integers(1, 2))
def test_fewer_adcs_never_speed_anything_up(
    layer: tuple[int, int, int, int, int], adcs: int
) -> None:
    spec = conv_spec(*layer)
    geometry = Geometry(rows=8, cols=8, bits_per_cell=1, weight_bits=2, encoding="offset",
                        crossbars_per_ima=4, imas_per_tile=4, tiles_per_chip=4,
                        chips=4)  # fmt: skip
    mapping = map_specs(
        [spec], geometry, input_shape=spec.in_shape, options=MapOptions(policy="all-rram")
    )
    fast = simulate(plan_mapping(mapping, replace(COSTS, adcs_per_ima=4)))
    slow = simulate(plan_mapping(mapping, replace(COSTS, adcs_per_ima=adcs)))
    assert slow.latency_s >= fast.latency_s * (1 - 1e-12)
    dynamic = fast.energy_per_image_j - fast.static_energy_j
    assert slow.energy_per_image_j - slow.static_energy_j == pytest.approx(dynamic)
