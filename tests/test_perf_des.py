"""The SimPy pipeline on configurations small enough to derive every number by hand."""

import itertools
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archsim.errors import UserError
from archsim.hw.registry import specs
from archsim.mapping.geometry import Geometry
from archsim.mapping.mapper import map_specs
from archsim.mapping.options import MapOptions
from archsim.mapping.records import LayerSpec, Mapping
from archsim.perf.analytic import analytic_estimate
from archsim.perf.costs import PerfCosts
from archsim.perf.des import simulate
from archsim.perf.plan import build_plans, plan_mapping
from archsim.perf.result import STATIC_ROW

# A toy chip: 16x8 crossbars, 2-bit weights in two 1-bit cells plus ISAAC's unit column, so
# floor((8 - 1) / 2) = 3 weights per crossbar row; 2 crossbars and 2 ADCs per IMA.
GEOMETRY = Geometry(
    rows=16,
    cols=8,
    bits_per_cell=1,
    weight_bits=2,
    encoding="offset",
    crossbars_per_ima=2,
    imas_per_tile=2,
    tiles_per_chip=1,
    chips=1,
    name="toy",
)
# every registered action priced (0 J for a component added since, so the hand totals hold)
ENERGY_J = {ref.key: 0.0 for spec in specs() for ref in spec.actions} | {
    "crossbar/read": 1e-15, "ima.dac/row_drive": 1e-14, "ima.sample_hold/sample": 1e-16,
    "ima.adc/conversion": 1e-12, "ima.shift_add/op": 1e-13, "ima.output_register/bit": 1e-16,
    "ima.input_register/bit": 1e-16, "tile.shift_add/op": 1e-13, "tile.edram/bit": 1e-13,
    "tile.bus/bit": 1e-14, "tile.output_register/bit": 1e-15, "tile.router/bit": 1e-12,
    "chip.hypertransport/bit": 1e-11, "tile.sigmoid/op": 1e-13, "tile.maxpool/op": 1e-13,
    "cpu/mac": 1e-11, "cpu.link/bit": 1e-12,
}  # fmt: skip
COSTS = PerfCosts(
    hardware="toy", crossbar_cycle_s=100e-9, input_cycles=4, input_bits=4, output_bits=8,
    adcs_per_ima=2, adc_sample_rate_hz=1e8,
    tile_unit_ops_per_s={"tile.shift_add": 1e9, "tile.sigmoid": 1e9, "tile.maxpool": 1e9},
    edram_bandwidth_bps=1e9, router_bandwidth_bps=1.2e8, chip_link_bandwidth_bps=1e9,
    cpu_mac_rate_per_s=1e9, cpu_link_bandwidth_bps=1e9, cpu_link_latency_s=1e-6,
    action_energy_j=ENERGY_J, tile_static_power_w={"ima.adc": 1e-5}, chip_static_power_w={},
    tiles_per_chip=1, tile_area_mm2=2.0, chip_area_mm2=2.5, cpu_idle_power_w=0.0,
    host_io=False,  # the hand timelines below start at the first layer; host I/O is tested apart
)  # fmt: skip


def conv(name: str, cin: int, cout: int) -> LayerSpec:
    """A 3x3, stride 1, padding 1 conv on 4x4 images: 16 pixels, 9*cin matrix rows."""
    return LayerSpec(name=name, kind="conv", in_shape=(cin, 4, 4), out_shape=(cout, 4, 4),
                     macs=16 * cout * 9 * cin, params=9 * cin * cout, in_channels=cin,
                     out_channels=cout, kernel=(3, 3), stride=(1, 1), padding=(1, 1))  # fmt: skip


def toy_mapping(*specs: LayerSpec) -> Mapping:
    return map_specs(
        list(specs), GEOMETRY, input_shape=specs[0].in_shape, options=MapOptions(policy="all-rram")
    )


def test_one_layer_one_ima_latency_and_energy_by_hand() -> None:
    mapping = toy_mapping(conv("conv", 2, 3))
    # 18 matrix rows -> row blocks of 16 and 2 rows; 3 weights x 2 cells + 1 unit column = 7
    # columns, one column block: 2 crossbars of IMA (0, 0, 0).
    assert [(b.weight_rows, b.ima, b.crossbar) for b in mapping.layers[0].blocks] == [
        (16, 0, 0), (2, 0, 1)]  # fmt: skip
    result = simulate(plan_mapping(mapping, COSTS), images=1)
    # Each output row (4 pixels, 1 replica) is one group: 4 MVM waves of 4 cycles x 100 ns =
    # 1.6 us. ADCs: 4 cycles x 7 columns / 1e8 S/s = 280 ns per crossbar per wave, one ADC
    # per crossbar, under the 400 ns crossbar time. Transfer: 3 outputs x 8 bits = 24 bits per
    # pixel at 1.2e8 b/s = 200 ns, 800 ns per row. Rows stream: compute ends 1.6k us, the last
    # transfer ends 6.4 + 0.8 = 7.2 us.
    assert result.latency_s == pytest.approx(7.2e-6, rel=1e-9)
    assert result.interval_s == pytest.approx(6.4e-6, rel=1e-9)  # 4 rows x 1.6 us
    # Per pixel: cells read 4 cycles x (16 + 2 rows) x 7 columns = 504; DAC drives 4 x 18 = 72;
    # samples = conversions = IMA shift-adds = 4 x 14 columns = 56; IMA output register
    # 56 x 8 bits = 448; input register 2 x 18 rows x 4 bits = 144; tile shift-add merges the
    # two row blocks' 3 partial sums = 3; eDRAM 18 x 4 bits in + 3 x 8 bits out = 96; bus 72;
    # tile output register and router 24 bits each. Times 16 pixels and the energies:
    dynamic = (
        16 * 504 * 1e-15 + 16 * 72 * 1e-14 + 16 * 56 * 1e-16 + 16 * 56 * 1e-12
        + 16 * 56 * 1e-13 + 16 * 448 * 1e-16 + 16 * 144 * 1e-16 + 16 * 3 * 1e-13
        + 16 * 96 * 1e-13 + 16 * 72 * 1e-14 + 16 * 24 * 1e-15 + 16 * 24 * 1e-12
    )  # fmt: skip
    assert dynamic == pytest.approx(1.5605248e-09, rel=1e-12)
    static = 1e-5 * 6.4e-6  # ADC static power of the one powered tile x the 6.4 us interval
    assert result.static_energy_j == pytest.approx(static, rel=1e-9)
    assert result.energy_per_image_j == pytest.approx(1.5605248e-09 + 6.4e-11, rel=1e-9)
    assert result.energy_by_component_j["ima.adc"] == pytest.approx(896e-12 + static)
    assert result.energy_by_layer_j == pytest.approx(
        {"conv": 1.5605248e-09, STATIC_ROW: static, "(cpu idle)": 0.0}
    )
    # provisioned: the one chip; occupied: the one tile (2.0) + its share of the chip's own
    # 2.5 - 2.0 = 0.5 mm^2 (1 of 1 tiles)
    assert (result.provisioned_area_mm2, result.occupied_area_mm2) == (2.5, 2.5)
    assert (result.chips_used, result.bottleneck) == (1, "conv (compute)")
    # 16 pixels x 2 crossbars x 400 ns busy out of 2 crossbars x 6.4 us per image
    assert result.crossbar_busy_fraction == pytest.approx(1.0)


def test_many_images_stream_at_the_bottleneck_interval() -> None:
    mapping = toy_mapping(conv("conv", 2, 3))
    result = simulate(plan_mapping(mapping, COSTS), images=10)
    # image n ends at 7.2 + 6.4 n us: 10 images take 7.2 + 9 x 6.4 = 64.8 us
    assert result.total_latency_s == pytest.approx(64.8e-6, rel=1e-9)
    assert result.throughput_images_per_s == pytest.approx(1 / 6.4e-6)
    assert result.static_energy_j == pytest.approx(1e-5 * 6.4e-6)  # per image: x interval


def test_two_layer_pipeline_timeline_exactly() -> None:
    mapping = toy_mapping(conv("conv1", 2, 3), conv("conv2", 3, 3))
    trace: list[tuple[float, str]] = []
    result = simulate(plan_mapping(mapping, COSTS), images=1, trace=trace)
    # conv1 as in the one-layer test. conv2 (27 rows: blocks of 16 and 11, 7 columns) has the
    # same 1.6 us compute and 0.8 us transfer per row. Its output row y reads conv1 rows up to
    # y + 1 (3x3, padding 1): row 0 waits for conv1 row 1 (4.0 us), row 1 for row 2 (5.6),
    # rows 2 and 3 for row 3 (7.2).
    expected_ns = [
        (0, "conv1 compute img0 g0 start"), (1600, "conv1 compute img0 g0 end"),
        (1600, "conv1 transfer img0 g0 start"), (2400, "conv1 transfer img0 g0 end"),
        (1600, "conv1 compute img0 g1 start"), (3200, "conv1 compute img0 g1 end"),
        (3200, "conv1 transfer img0 g1 start"), (4000, "conv1 transfer img0 g1 end"),
        (3200, "conv1 compute img0 g2 start"), (4800, "conv1 compute img0 g2 end"),
        (4800, "conv1 transfer img0 g2 start"), (5600, "conv1 transfer img0 g2 end"),
        (4800, "conv1 compute img0 g3 start"), (6400, "conv1 compute img0 g3 end"),
        (6400, "conv1 transfer img0 g3 start"), (7200, "conv1 transfer img0 g3 end"),
        (4000, "conv2 compute img0 g0 start"), (5600, "conv2 compute img0 g0 end"),
        (5600, "conv2 transfer img0 g0 start"), (6400, "conv2 transfer img0 g0 end"),
        (5600, "conv2 compute img0 g1 start"), (7200, "conv2 compute img0 g1 end"),
        (7200, "conv2 transfer img0 g1 start"), (8000, "conv2 transfer img0 g1 end"),
        (7200, "conv2 compute img0 g2 start"), (8800, "conv2 compute img0 g2 end"),
        (8800, "conv2 transfer img0 g2 start"), (9600, "conv2 transfer img0 g2 end"),
        (8800, "conv2 compute img0 g3 start"), (10400, "conv2 compute img0 g3 end"),
        (10400, "conv2 transfer img0 g3 start"), (11200, "conv2 transfer img0 g3 end"),
    ]  # fmt: skip
    observed = sorted((round(t * 1e9, 6), label) for t, label in trace)
    assert observed == sorted(expected_ns)
    assert result.latency_s == pytest.approx(11.2e-6, rel=1e-9)
    assert analytic_estimate(plan_mapping(mapping, COSTS)).latency_s == pytest.approx(
        11.2e-6, rel=1e-9
    )


def test_halving_the_adcs_of_an_ima_slows_the_crossbars_as_the_hand_model_says() -> None:
    mapping = toy_mapping(conv("conv", 2, 3))
    halved = replace(COSTS, adcs_per_ima=1)
    result = simulate(plan_mapping(mapping, halved), images=1)
    # One ADC for two crossbars: each needs 4 waves x 280 ns = 1.12 us of conversions per
    # row, one after the other: 2.24 us > the crossbars' 1.6 us. Four rows end at 8.96 us,
    # the last transfer at 8.96 + 0.8 = 9.76 us (was 7.2 us with two ADCs).
    assert result.latency_s == pytest.approx(9.76e-6, rel=1e-9)
    assert result.interval_s == pytest.approx(4 * 2.24e-6, rel=1e-9)
    # the hand model in closed form agrees; energy does not change with the ADC count
    assert analytic_estimate(plan_mapping(mapping, halved)).latency_s == pytest.approx(
        9.76e-6, rel=1e-9
    )
    assert result.energy_per_image_j - result.static_energy_j == pytest.approx(1.5605248e-09)


def test_missing_energy_and_unsupported_layers_are_errors() -> None:
    mapping = toy_mapping(conv("conv", 2, 3))
    priced = dict(ENERGY_J)
    del priced["ima.adc/conversion"]
    with pytest.raises(UserError, match=r"no energy for 'ima\.adc/conversion'"):
        simulate(plan_mapping(mapping, replace(COSTS, action_energy_j=priced)))
    broken = replace(mapping, layers=(replace(mapping.layers[0], target="unsupported",
                                              reason="test"),))  # fmt: skip
    with pytest.raises(UserError, match="conv is unsupported"):
        simulate(plan_mapping(broken, COSTS))
    with pytest.raises(UserError, match="images must be >= 1"):
        simulate(plan_mapping(mapping, COSTS), images=0)


def test_layers_packed_into_one_ima_queue_for_its_adc() -> None:
    # A: 3x3 conv 1 -> 3 (9 rows x 7 columns: 1 crossbar); B: 1x1 conv 3 -> 3 (3 rows x 7
    # columns: 1 crossbar); 16 pixels each. Packed, both sit in IMA 0, whose one ADC
    # (adcs_per_ima=1) converts 4 cycles x 7 columns = 28 samples per MVM at 1e8 S/s: 280 ns,
    # under the 400 ns MVM, so each layer alone takes 16 x 400 ns = 6.4 us per image.
    # Streaming, both layers convert on the one ADC, busy 2 x 16 x 280 ns = 8.96 us per
    # image: that, not 6.4 us, is the interval, and the closed form's bound counts it.
    # One image, by hand (a row = a group of 4 MVMs: 1.6 us on the crossbar, 1.12 us of ADC;
    # a row's transfer 0.8 us). A0: ADC 0-1.12, ends 1.6; A1: ADC 1.6-2.72. B0 starts at 2.4
    # (A0 moved), converts 2.72-3.84 after A1, ends with its crossbar at 4.0. A2 starts at
    # 3.2 but converts 3.84-4.96 after B0: ends 4.96, not 4.8. B1 (start 4.0) converts
    # 4.96-6.08; A3 (start 4.96) 6.08-7.2; B2 (start 6.08) 7.2-8.32; B3 starts 8.32 (A3 moved
    # by 8.0), its crossbar ends 9.92 and its transfer 10.72 us. The closed form's latency,
    # timing each layer as if alone, says A3 ends 6.4, B3 starts 7.2 and the image ends at
    # 9.6 us.
    a = LayerSpec(
        name="A",
        kind="conv",
        in_shape=(1, 4, 4),
        out_shape=(3, 4, 4),
        macs=432,
        params=27,
        in_channels=1,
        out_channels=3,
        kernel=(3, 3),
        stride=(1, 1),
        padding=(1, 1),
    )
    b = LayerSpec(
        name="B",
        kind="conv",
        in_shape=(3, 4, 4),
        out_shape=(3, 4, 4),
        macs=144,
        params=9,
        in_channels=3,
        out_channels=3,
    )
    one_adc = replace(COSTS, adcs_per_ima=1)
    packed = map_specs(
        [a, b],
        GEOMETRY,
        input_shape=(1, 4, 4),
        options=MapOptions(policy="all-rram", pack_imas=True),
    )
    assert [(blk.ima, blk.crossbar) for lm in packed.layers for blk in lm.blocks] == [
        (0, 0),
        (0, 1),
    ]
    closed = analytic_estimate(plan_mapping(packed, one_adc))
    assert closed.interval_s == pytest.approx(8.96e-6, rel=1e-9)
    assert closed.bottleneck == "the ADCs of IMA (0, 0, 0) (chip, tile, IMA), shared"
    assert any("shared by several layers" in n for n in closed.notes)
    assert closed.latency_s == pytest.approx(9.6e-6, rel=1e-9)
    trace: list[tuple[float, str]] = []
    alone = simulate(plan_mapping(packed, one_adc), images=1, trace=trace)
    ends = {label: round(t * 1e9) for t, label in trace if label.endswith("end")}
    assert ends["A compute img0 g2 end"] == 4960 and ends["B compute img0 g1 end"] == 6080
    assert ends["B compute img0 g3 end"] == 9920
    assert alone.latency_s == pytest.approx(10.72e-6, rel=1e-9)
    des = simulate(plan_mapping(packed, one_adc), images=50)
    assert des.interval_s == pytest.approx(8.96e-6, rel=1e-9)
    # on separate IMAs (the default placement) nothing is shared and the two agree
    apart = map_specs(
        [a, b], GEOMETRY, input_shape=(1, 4, 4), options=MapOptions(policy="all-rram")
    )
    assert [blk.ima for lm in apart.layers for blk in lm.blocks] == [0, 1]
    assert simulate(plan_mapping(apart, one_adc), images=50).interval_s == pytest.approx(
        6.4e-6, rel=1e-6
    )


@settings(max_examples=12, deadline=None)
@given(
    channels=st.lists(st.integers(1, 4), min_size=2, max_size=4),
    adcs=st.integers(1, 2),
    pack=st.booleans(),
    replicate=st.booleans(),
    edram_bytes=st.sampled_from([0, 18, 24, 64]),
)
def test_the_des_never_beats_the_closed_form_bound(
    channels: list[int], adcs: int, pack: bool, replicate: bool, edram_bytes: int
) -> None:
    # The closed-form interval is the busiest stage's (or shared resource's) work per image;
    # every DES group takes at least its contention-free duration on a lane that serves one
    # group at a time, so over whole lane periods in steady state no stage can finish an
    # image faster than that, whatever the buffers (eDRAM of 0 = unbounded, or a few rows)
    # hold: the measured spacing is never below the bound.
    specs = [conv(f"c{i}", a, b) for i, (a, b) in enumerate(itertools.pairwise(channels))]
    mapping = map_specs(
        specs,
        replace(GEOMETRY, chips=4),
        input_shape=specs[0].in_shape,
        options=MapOptions(
            policy="all-rram", pack_imas=pack, replicate=replicate, replicate_scope="node"
        ),
    )
    costs = replace(COSTS, adcs_per_ima=adcs, edram_bytes=edram_bytes)
    bound = analytic_estimate(plan_mapping(mapping, costs)).interval_s
    assert simulate(plan_mapping(mapping, costs), images=2).interval_s >= bound * (1 - 1e-9)


def test_an_edram_holding_only_the_receptive_rows_makes_the_des_slower_than_the_bound() -> None:
    # conv1 -> conv2 as in the two-layer timeline (1.6 us compute and 0.8 us transfer per
    # row, 4 rows). conv2's tile keeps its input rows in an eDRAM of 18 bytes = 144 bits:
    # a conv1 row is 3 channels x 4 pixels x 4 bits = 48 bits, so it holds 3 rows, exactly
    # a 3x3 kernel's receptive rows. A row is freed once the conv2 row after the last one
    # reading it is done (conv2 row j reads conv1 rows j-1..j+1).
    mapping = toy_mapping(conv("conv1", 2, 3), conv("conv2", 3, 3))
    small = replace(COSTS, edram_bytes=18)
    assert [plan.buffer_groups for plan in build_plans(mapping, small)] == [0, 3]
    # Image 0, by hand: conv1 rows 0, 1, 2 compute 0-1.6, 1.6-3.2, 3.2-4.8 and fill the
    # buffer. conv2 row 0 waits for conv1 row 1 (arrives 4.0): 4.0-5.6; row 1 for row 2
    # (5.6): 5.6-7.2, which frees conv1 row 0, so conv1 row 3 starts only at 7.2 (not 4.8):
    # 7.2-8.8, arrives 9.6; conv2 row 2: 9.6-11.2, which frees rows 0 and 1, so the next
    # image's row 0 enters at 11.2; conv2 row 3: 11.2-12.8, its transfer ends 13.6. Image 1
    # repeats this 11.2 us later: images leave 11.2 us apart, where the closed form (conv1's
    # 4 x 1.6 = 6.4 us per image, as it is with room for a fourth row) says 6.4 us.
    trace: list[tuple[float, str]] = []
    alone = simulate(plan_mapping(mapping, small), images=1, trace=trace)
    starts = {label: round(t * 1e9) for t, label in trace if label.endswith("start")}
    assert starts["conv1 compute img0 g3 start"] == 7200
    assert starts["conv2 compute img0 g2 start"] == 9600
    assert alone.latency_s == pytest.approx(13.6e-6, rel=1e-9)
    streamed = simulate(plan_mapping(mapping, small), images=50)
    assert streamed.interval_s == pytest.approx(11.2e-6, rel=1e-9)
    assert analytic_estimate(plan_mapping(mapping, small)).interval_s == pytest.approx(
        6.4e-6, rel=1e-9
    )
    unbounded = simulate(plan_mapping(mapping, replace(COSTS, edram_bytes=0)), images=50)
    assert unbounded.interval_s == pytest.approx(6.4e-6, rel=1e-9)
