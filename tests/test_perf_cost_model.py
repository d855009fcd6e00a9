"""The cost model's budget, balancing, static power, CPU path and BN folding, by hand."""

import math
from dataclasses import replace

import pytest
import torch
from test_hw_components import ISAAC_OWN
from test_perf_des import COSTS
from torch import nn

from archsim.config.hardware import load_hardware, with_overrides
from archsim.mapping.geometry import Geometry
from archsim.mapping.mapper import map_specs
from archsim.mapping.options import MapOptions
from archsim.mapping.records import LayerSpec
from archsim.nets.fold import fold_batchnorm
from archsim.perf.analytic import analytic_estimate
from archsim.perf.assemble import Footprint, shared_resource_busy_s, static_energy_j
from archsim.perf.balance import balanced_mapping, default_budget_chips
from archsim.perf.des import simulate
from archsim.perf.hw_costs import costs_from_hardware
from archsim.perf.plan import INPUT_PLAN, OUTPUT_PLAN, build_plans, plan_mapping
from archsim.perf.plan_other import cpu_stages

# The toy chip of test_perf_des.py (16x8 crossbars, 3 weights per row, 2 crossbars per IMA)
# with 2 IMAs per chip and 4 chips, so a budget of chips is a budget of IMAs.
GEOMETRY = Geometry(
    rows=16,
    cols=8,
    bits_per_cell=1,
    weight_bits=2,
    encoding="offset",
    crossbars_per_ima=2,
    imas_per_tile=2,
    tiles_per_chip=1,
    chips=4,
    name="toy",
)


def conv(name: str, cin: int, cout: int, size: int, kernel: int, stride: int) -> LayerSpec:
    pad = kernel // 2
    out = (size + 2 * pad - kernel) // stride + 1
    return LayerSpec(
        name=name,
        kind="conv",
        in_shape=(cin, size, size),
        out_shape=(cout, out, out),
        macs=out * out * cout * cin * kernel * kernel,
        params=cin * cout * kernel * kernel,
        in_channels=cin,
        out_channels=cout,
        kernel=(kernel, kernel),
        stride=(stride, stride),
        padding=(pad, pad),
    )


# A: 3x3 conv 2 -> 3 on 4x4 (16 pixels; 18 matrix rows = 2 crossbars = 1 IMA per replica)
# B: 3x3 stride-2 conv 3 -> 3, 4x4 -> 2x2 (4 pixels; 27 rows = 2 crossbars = 1 IMA)
# C: 1x1 conv 3 -> 3 on 2x2, routed to the CPU by the default policy
NET = [conv("A", 2, 3, 4, 3, 1), conv("B", 3, 3, 4, 3, 2), conv("C", 3, 3, 2, 1, 1)]
SHAPE = {"input_shape": (2, 4, 4)}


def test_replication_balances_a_two_layer_net_inside_its_budget() -> None:
    plain = map_specs(NET, GEOMETRY, **SHAPE)
    assert [lm.crossbars for lm in plain.rram_layers] == [2, 2]
    assert default_budget_chips([plain]) == 1  # 2 IMAs: one chip
    # Budget 2 chips = 4 IMAs. Replicas r = ceil(p / q) must fit ceil(16/q) + ceil(4/q) <= 4:
    # q >= 16/3 gives (3, 1) = 4 IMAs; any smaller q needs 4 + 1 = 5.
    balanced = map_specs(
        NET, GEOMETRY, **SHAPE, options=MapOptions(replicate=True, replicate_scope=2)
    )
    assert [lm.replicas for lm in balanced.rram_layers] == [3, 1]
    result = analytic_estimate(plan_mapping(balanced, COSTS))
    # One MVM = 4 input cycles x 100 ns = 0.4 us. A computes 16/3 waves x 0.4 = 2.133 us per
    # image. Its transfer is slower: replicas 0 and 1 share chip 0's one tile, whose router
    # moves their 2 x 3 outputs x 8 bits = 48 bits per wave at 1.2e8 b/s (400 ns), and those
    # bits cross the chip link to B on chip 1 at 1e9 b/s (48 ns): 448 ns x 16/3 waves.
    assert result.interval_s == pytest.approx(16 / 3 * 448e-9, rel=1e-9)
    assert result.bottleneck == "A (transfer)"
    # unreplicated: A's 16 MVMs of 0.4 us on one copy
    assert analytic_estimate(plan_mapping(plain, COSTS)).interval_s == pytest.approx(
        6.4e-6, rel=1e-9
    )


def test_balancer_drops_replicas_a_slow_cpu_link_would_leave_idle() -> None:
    # At 20 Mb/s the CPU link carries C's 96 output bits (3 x 2x2 values x 8 bits) in 4.8 us
    # and its 48 input bits in 2.4 us: 4.8 us per image whatever replication does. A at 3
    # replicas (2.389 us, above) would idle; ceil(3 x 2.389 / 4.8) = 2 replicas suffice:
    # 8 waves x (400 + 48) ns = 3.584 us. One replica (6.4 us) would not.
    slow = replace(COSTS, cpu_link_bandwidth_bps=2e7)
    planned = balanced_mapping(NET, GEOMETRY, slow, 2, MapOptions(), **SHAPE)
    mapping, plans = planned.mapping, planned.plans  # the plans the balancer checked
    assert [lm.replicas for lm in mapping.rram_layers] == [2, 1]
    assert plans == build_plans(mapping, slow)
    assert shared_resource_busy_s(plans)["cpu_link_out"] == pytest.approx(4.8e-6, rel=1e-9)
    result = analytic_estimate(planned)
    assert result.interval_s == pytest.approx(4.8e-6, rel=1e-9)
    assert result.bottleneck.startswith("cpu_link_out")
    assert any("keep 6 of the 8 crossbars" in n for n in mapping.notes)
    # the DES never measures a shorter interval than the closed form's bound
    assert simulate(planned, images=20).interval_s >= result.interval_s * (1 - 1e-12)


def _own_j(energy: dict[str, float]) -> float:
    """Joules of ISAAC's own blocks and its CPU: a component added since adds its own."""
    return math.fsum(j for name, j in energy.items() if name in ISAAC_OWN | {"cpu"})


def test_static_energy_of_one_isaac_tile_at_a_given_interval() -> None:
    costs = costs_from_hardware(load_hardware("isaac"))
    # One IMA's static milliwatts: 8 ADCs x 0.2 + 1024 DACs x 0.00078125 + 1032 S+H (8 x 129
    # columns, the unit column's included) x 1.953125e-6 + 4 shift-adds x 0.01 + input
    # register 0.248 + output register 0.046
    ima_mw = 8 * 0.2 + 1024 * 0.00078125 + 1032 * 1.953125e-6 + 4 * 0.01 + 0.248 + 0.046
    # tile: 12 IMAs + eDRAM 6.21 + bus 1.4 + 2 sigmoids x 0.052 + shift-add 0.01 + max-pool
    # 0.08 + output register 0.336 + a quarter of a router's 12.6
    tile_mw = 12 * ima_mw + 6.21 + 1.4 + 2 * 0.052 + 0.01 + 0.08 + 0.336 + 12.6 / 4
    assert tile_mw == pytest.approx(44.122, rel=1e-4)
    one_tile = Footprint(
        budget_chips=1, chips_used=1, tiles_used=1, powered_links=0, powered_tiles=1, uses_cpu=False
    )
    # pinned over ISAAC's own blocks: a component added to the registry adds its own share
    energy = static_energy_j(one_tile, costs, interval_s=10e-6)
    assert _own_j(energy) == pytest.approx(tile_mw * 1e-3 * 10e-6, rel=1e-9)
    # a powered chip adds its 4 HyperTransport links' 4 x 1.95 W. isaac's CPU is a shared
    # host (dedicated: false), but its CPU path runs on all 28 of its 28 cores, so a design
    # point using it is charged all of its 50 W idle power; one running on 7 cores, a quarter
    chip_and_cpu = replace(one_tile, powered_links=4, uses_cpu=True)
    more = _own_j(static_energy_j(chip_and_cpu, costs, 10e-6))
    assert more == pytest.approx((tile_mw * 1e-3 + 7.8 + 50.0) * 10e-6, rel=1e-9)
    seven = costs_from_hardware(with_overrides(load_hardware("isaac"), {"cpu": {"cores": 7}}))
    quarter = _own_j(static_energy_j(chip_and_cpu, seven, 10e-6))
    assert quarter == pytest.approx((tile_mw * 1e-3 + 7.8 + 12.5) * 10e-6, rel=1e-9)
    assert (costs.cpu_area_mm2, seven.cpu_area_mm2) == (694.0, 694.0 / 4)
    # a dedicated CPU is charged whole, whatever cores its path uses
    dedicated = costs_from_hardware(
        with_overrides(load_hardware("isaac"), {"cpu": {"dedicated": True, "cores": 7}})
    )
    most = _own_j(static_energy_j(chip_and_cpu, dedicated, 10e-6))
    assert most == pytest.approx((tile_mw * 1e-3 + 7.8 + 50.0) * 10e-6, rel=1e-9)


def test_a_stride_two_1x1_conv_sends_only_the_inputs_it_reads() -> None:
    costs = costs_from_hardware(load_hardware("isaac"))
    # ResNet-20's first projection shortcut: 16 x 32x32 -> 32 x 16x16, 1x1, stride 2. It
    # reads every other row and column: 16 x 16 x 16 values x 16 bits = 65,536 bits, not
    # the whole 262,144-bit input; it returns 32 x 16 x 16 x 16 = 131,072 bits.
    spec = LayerSpec(
        name="sc",
        kind="conv",
        in_shape=(16, 32, 32),
        out_shape=(32, 16, 16),
        macs=16 * 32 * 256,
        params=512,
        in_channels=16,
        out_channels=32,
        kernel=(1, 1),
        stride=(2, 2),
        padding=(0, 0),
    )
    ends, pixels = (4, 8, 12, 16), (64, 64, 64, 64)
    stages, counts = cpu_stages(spec, ends, pixels, costs)
    link_in, _, link_out = stages
    assert sum(link_in.durations_s) * 51.2e9 == pytest.approx(65_536, rel=1e-12)
    assert sum(link_out.durations_s) * 51.2e9 == pytest.approx(131_072, rel=1e-12)
    assert counts["cpu.link/bit"] == 65_536 + 131_072
    # the link's 1 us latency delays the data, it does not hold the link
    assert link_in.delay_s == pytest.approx(1e-6) and link_in.resource == "cpu_link_in"


def test_image_in_and_result_out_are_charged_on_the_host_link() -> None:
    costs = replace(COSTS, host_io=True)
    mapping = map_specs(
        NET[:1], GEOMETRY, input_shape=(2, 4, 4), options=MapOptions(policy="all-rram")
    )
    plans = build_plans(mapping, costs)
    assert (plans[0].name, plans[-1].name) == (INPUT_PLAN, OUTPUT_PLAN)
    # image: 2 x 4 x 4 values x 4 input bits = 128 bits; result: 3 x 4 x 4 x 8 bits = 384
    assert plans[0].action_counts == {"cpu.link/bit": 128.0}
    assert plans[-1].action_counts == {"cpu.link/bit": 384.0}
    alone = analytic_estimate(plan_mapping(mapping, replace(costs, host_io=False)))
    with_io = analytic_estimate(plan_mapping(mapping, costs))
    # one image now waits 128 ns + 1 us for its input and 384 ns + 1 us for its result
    assert with_io.latency_s - alone.latency_s == pytest.approx(0.128e-6 + 0.384e-6 + 2e-6)
    assert with_io.link_energy_j == pytest.approx(512 * 1e-12)


@pytest.mark.parametrize("stride", [1, 2])
def test_folded_batchnorm_equals_conv_then_batchnorm(stride: int) -> None:
    torch.manual_seed(0)
    layer = nn.Conv2d(3, 5, 3, stride=stride, padding=1, bias=stride == 2)
    bn = nn.BatchNorm2d(5)
    bn.running_mean.uniform_(-1, 1)
    bn.running_var.uniform_(0.5, 2.0)
    nn.init.uniform_(bn.weight, 0.5, 1.5)
    nn.init.uniform_(bn.bias, -0.5, 0.5)
    bn.eval()
    x = torch.randn(4, 3, 9, 9)
    expected = bn(layer(x))
    assert torch.allclose(fold_batchnorm(layer, bn)(x), expected, atol=1e-5, rtol=1e-5)
    linear, bn1 = nn.Linear(6, 4), nn.BatchNorm1d(4).eval()
    bn1.running_mean.fill_(0.3)
    v = torch.randn(8, 6)
    assert torch.allclose(fold_batchnorm(linear, bn1)(v), bn1(linear(v)), atol=1e-6)


def test_folded_batchnorm_costs_nothing_and_units_mode_charges_it() -> None:
    bn = LayerSpec(name="bn", kind="bn", in_shape=(3, 4, 4), out_shape=(3, 4, 4), macs=0, params=6)
    mapping = map_specs(
        [NET[0], bn], GEOMETRY, input_shape=(2, 4, 4), options=MapOptions(policy="all-rram")
    )
    folded = analytic_estimate(plan_mapping(mapping, COSTS))
    units = analytic_estimate(plan_mapping(mapping, replace(COSTS, batchnorm_folded=False)))
    assert folded.energy_by_layer_j["bn"] == 0.0
    # on the units: 2 ops per element x 48 elements x 1e-13 J
    assert units.energy_by_layer_j["bn"] == pytest.approx(96 * 1e-13)


@pytest.mark.parametrize(("adcs", "replicas", "interval_s"), [(2, 2, 4.0e-6), (1, 3, 4.0e-6)])
def test_the_balancer_sees_adc_bound_waves(adcs: int, replicas: int, interval_s: float) -> None:
    # At 24 Mb/s the CPU link carries C's 96 output bits in 4.0 us per image: the floor. With
    # an ADC per crossbar a wave of A is its 400 ns MVM (and its transfer 448 ns): 2 replicas
    # take 8 x 448 ns = 3.584 us <= 4.0 us. With one ADC for the IMA's two crossbars each
    # converts 4 cycles x 7 columns = 28 samples at 1e8 S/s, 280 ns, one after the other:
    # 560 ns a wave, so 2 replicas would take 8 x 560 ns = 4.48 us > 4.0 us and the balancer
    # keeps all 3 (16/3 x 560 ns = 2.987 us). B: 4 waves x 560 ns = 2.24 us, under the floor.
    costs = replace(COSTS, cpu_link_bandwidth_bps=2.4e7, adcs_per_ima=adcs)
    planned = balanced_mapping(NET, GEOMETRY, costs, 2, MapOptions(), **SHAPE)
    assert [lm.replicas for lm in planned.mapping.rram_layers] == [replicas, 1]
    plans = planned.plans
    wave = {2: 400e-9, 1: 560e-9}[adcs]
    compute = next(plan for plan in plans if plan.name == "A").stages[0]
    assert compute.busy_s() == pytest.approx(16 / replicas * wave, rel=1e-9)
    assert analytic_estimate(planned).interval_s == pytest.approx(interval_s, rel=1e-9)
