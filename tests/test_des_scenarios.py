"""A shipped scenario where the DES is slower than the closed-form bound, timed by hand.

docs/validation.md s.9 documents it as a CLI example:
    archsim map --model docs/examples/two_convs.py:make --input-shape 16,4,10 \
        --hw docs/examples/isaac-1kb-edram.yaml --no-replicate --estimator des
"""

import importlib.util
import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_perf_des import COSTS, GEOMETRY, conv

from archsim.api.mapping import extract
from archsim.cli import cli
from archsim.config.hardware import load_hardware
from archsim.mapping.geometry import resolve_geometry
from archsim.mapping.mapper import map_specs
from archsim.mapping.options import MapOptions
from archsim.mapping.records import Mapping
from archsim.perf.analytic import analytic_estimate
from archsim.perf.costs import PerfCosts
from archsim.perf.des import simulate
from archsim.perf.hw_costs import costs_from_hardware
from archsim.perf.plan import build_plans, plan_mapping

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
SHAPE = (16, 4, 10)


def scenario(hardware: str) -> tuple[Mapping, PerfCosts]:
    """The two convolutions of docs/examples/two_convs.py, one copy each, on `hardware`."""
    spec = importlib.util.spec_from_file_location("two_convs", EXAMPLES / "two_convs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    hw = load_hardware(hardware)
    specs = extract(module.make(), SHAPE)
    options = MapOptions(policy="all-rram", replicate=False)
    mapping = map_specs(specs, resolve_geometry(hw), input_shape=SHAPE, options=options)
    return mapping, costs_from_hardware(hw)


def test_a_1kb_edram_stalls_the_pipeline_as_the_hand_timeline_says() -> None:
    mapping, costs = scenario(str(EXAMPLES / "isaac-1kb-edram.yaml"))
    # Each conv is a 144 x 16 matrix: one column block (16 weights x 8 cells + the unit
    # column) on two crossbars of one IMA, one copy, both IMAs on tile 0. An output row is
    # 10 pixels = 10 MVMs of 16 input cycles x 100.78 ns: c = 16.125 us. Its outputs, 10 x
    # 16 x 16 bits = 2,560 bits, leave through the tile's 32 Gb/s router: x = 80 ns. conv2's
    # tile keeps conv1's rows in 1 KB = 8,192 bits of eDRAM: 3 rows of 16 x 10 x 16 = 2,560
    # bits, exactly a 3x3 kernel's receptive rows.
    plans = build_plans(mapping, costs)
    compute, transfer = plans[1].stages
    assert compute.durations_s == pytest.approx((16.125e-6,) * 4, rel=1e-12)
    assert transfer.durations_s == pytest.approx((80e-9,) * 4, rel=1e-12)
    assert [plan.buffer_groups for plan in plans[1:3]] == [0, 3]
    # One image, from the end of its transfer in (10,240 bits at 51.2 Gb/s + 1 us latency =
    # 1.2 us): conv1 rows 0-2 compute 1.2-17.325, -33.45, -49.575 (arriving 80 ns later) and
    # fill the buffer. conv2 row 0 waits for conv1 row 1 (33.53): 33.53-49.655; row 1 for
    # row 2 (49.655): 49.655-65.78, which frees conv1 row 0, so conv1 row 3 starts at 65.78,
    # not 49.575: 65.78-81.905, arriving 81.985; conv2 row 2: 81.985-98.11, freeing rows 0
    # and 1; conv2 row 3: 98.11-114.235, transfer to 114.315, result out (10,240 bits + 1 us)
    # at 115.515 us.
    trace: list[tuple[float, str]] = []
    alone = simulate(plan_mapping(mapping, costs), images=1, trace=trace)
    starts = {label: round(t * 1e9, 3) for t, label in trace if label.endswith("start")}
    assert starts["0 compute img0 g3 start"] == 65780.0
    assert starts["1 compute img0 g2 start"] == 81985.0
    assert alone.latency_s == pytest.approx(115.515e-6, rel=1e-12)
    # Streaming: the next image's row 0 needs a free slot, which conv2's row 2 gives at
    # 98.11 us, 6c + 2x = 96.91 us after image 0's row 0 started; every later row of image 1
    # repeats image 0's 96.91 us later (its row 3 waits for conv2's row 1 of image 1, as
    # image 0's did), so images leave 96.91 us apart. The closed form's bound is conv1's 4c.
    streamed = simulate(plan_mapping(mapping, costs), images=50)
    assert streamed.interval_s == pytest.approx(6 * 16.125e-6 + 2 * 80e-9, rel=1e-12)
    bound = analytic_estimate(plan_mapping(mapping, costs))
    assert bound.interval_s == pytest.approx(4 * 16.125e-6, rel=1e-12)
    assert streamed.interval_s / bound.interval_s == pytest.approx(96.91 / 64.5, rel=1e-12)


def test_isaacs_64kb_edram_never_stalls_the_same_layers() -> None:
    # 64 KB holds 204 rows of 2,560 bits, more than the buffer the pipeline needs: the DES
    # reaches the bound, conv1's 4 x 16.125 us.
    mapping, costs = scenario("isaac")
    assert simulate(plan_mapping(mapping, costs), images=50).interval_s == pytest.approx(
        64.5e-6, rel=1e-12
    )


def test_lanes_sharing_a_router_port_queue_for_it() -> None:
    # The toy chip of test_perf_des.py (2 crossbars per IMA, 2 IMAs per tile, a tile per
    # chip). A 3x3 conv 1 -> 3 on 4x4 is 9 rows x 7 columns: one crossbar per copy. Eight
    # copies fill 4 IMAs on tiles 0 and 1 (copies 0-3 and 4-7); a row of 4 pixels uses 4
    # copies, so 2 lanes take rows in turn, lane = copy mod 2: each lane has 2 copies on each
    # tile, and both lanes send through both tiles' router ports.
    spec = conv("conv", 1, 3)
    geometry = replace(GEOMETRY, chips=2)
    options = MapOptions(policy="all-rram", replicate=True, replicate_scope="node")
    mapping = map_specs([spec], geometry, input_shape=spec.in_shape, options=options)
    assert mapping.layers[0].replicas == 8
    compute, transfer = build_plans(mapping, COSTS)[0].stages
    # A row is one wave: a 400 ns MVM (4 cycles x 100 ns; each crossbar's 28 samples take
    # its own ADC 280 ns); its transfer moves 2 copies x 3 outputs x 8 bits = 48 bits
    # through each tile's port at 1.2e8 b/s: 400 ns, both ports at once.
    assert (compute.lanes, transfer.lanes) == (2, 2)
    assert compute.durations_s == pytest.approx((400e-9,) * 4, rel=1e-12)
    assert transfer.durations_s == pytest.approx((400e-9,) * 4, rel=1e-12)
    assert transfer.lane_links == ((
        (("router", 0), 400e-9), (("router", 1), 400e-9)),) * 2  # fmt: skip
    # Closed form: each lane alone, 2 rows x 400 ns per image: 0.8 us; one image's row 3
    # computes 0.4-0.8 and sends 0.8-1.2 us.
    closed = analytic_estimate(plan_mapping(mapping, COSTS))
    assert (closed.interval_s, closed.latency_s) == pytest.approx((0.8e-6, 1.2e-6), rel=1e-12)
    # DES, by hand: rows 0 and 1 compute 0-0.4 us, rows 2 and 3 0.4-0.8 us. The ports take
    # one transfer at a time: row 0 sends 0.4-0.8, row 1 0.8-1.2, row 2 1.2-1.6, row 3
    # 1.6-2.0 us. Streaming, the ports are busy 4 x 400 ns = 1.6 us per image, back to back
    # (the crossbars, 0.8 us an image, run ahead): images leave 1.6 us apart, twice the bound.
    trace: list[tuple[float, str]] = []
    alone = simulate(plan_mapping(mapping, COSTS), images=1, trace=trace)
    ends = sorted(round(t * 1e9) for t, label in trace if "transfer" in label and "end" in label)
    assert ends == [800, 1200, 1600, 2000]
    assert alone.latency_s == pytest.approx(2.0e-6, rel=1e-12)
    assert simulate(plan_mapping(mapping, COSTS), images=20).interval_s == pytest.approx(
        1.6e-6, rel=1e-12
    )


@pytest.mark.parametrize(("estimator", "images_per_s"), [("des", 10319.0), ("analytic", 15504.0)])
def test_the_documented_command_prints_the_hand_timelines_throughput(
    estimator: str, images_per_s: float
) -> None:
    # 1 / 96.91 us = 10,319 images/s (DES); 1 / 64.5 us = 15,504 (the closed form's bound)
    args = ["map", "--model", f"{EXAMPLES / 'two_convs.py'}:make", "--input-shape", "16,4,10",
            "--hw", str(EXAMPLES / "isaac-1kb-edram.yaml"), "--no-replicate",
            "--estimator", estimator, "--format", "json"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["costs"]["throughput_images_per_s"] == images_per_s
