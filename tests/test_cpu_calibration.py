"""`archsim hw calibrate-cpu`: the CPU path's layers timed on this machine, written as a CPU
block that says what was measured and what was kept."""

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from archsim.cli import cli
from archsim.config.hardware import load_hardware
from archsim.perf.cpu_measure import (
    FMA_UNITS,
    CpuMeasurement,
    LayerTime,
    MachineCpu,
    cpu_overlay,
)
from archsim.perf.hw_costs import costs_from_hardware


def test_the_written_block_runs_at_the_measured_rate(tmp_path: Path) -> None:
    out = tmp_path / "measured.yaml"
    result = CliRunner().invoke(cli, ["hw", "calibrate-cpu", "--threads", "1", "--repeats", "3",
                                      "--output", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    # ResNet-20 with 1x1 shortcuts: the two shortcuts, 16x16x32x16 and 8x8x64x32 = 131,072
    # MACs each, are what the CPU path runs
    assert "layer2.0.shortcut.0  131072" in result.output
    assert "layer3.0.shortcut.0  131072" in result.output
    hw = load_hardware(str(out))
    text = yaml.safe_load(out.read_text())
    assert text["base"] == "isaac" and hw.cpu.cores == 1
    assert "measured by archsim hw calibrate-cpu" in hw.cpu.source
    assert "RAPL" in hw.cpu.source  # measured with it, or said to be missing
    # the block's rate (cores x lanes x FMA units x clock x efficiency) is the one printed
    rate = costs_from_hardware(hw).cpu_mac_rate_per_s
    printed = float(result.output.split("sustained: ")[1].split(" GMAC/s")[0])
    assert rate / 1e9 == pytest.approx(printed, abs=1e-3)


def test_a_net_with_nothing_on_the_cpu_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["hw", "calibrate-cpu", "--option", "shortcut=A",
                                      "--output", str(tmp_path / "x.yaml")])  # fmt: skip
    assert result.exit_code == 2
    assert "sends no layer to the CPU" in result.output
    assert not (tmp_path / "x.yaml").exists()


def test_rapl_power_is_used_where_measured_and_the_base_kept_where_not() -> None:
    # 2 layers of 1e6 MACs in 10 us each: 1e11 MAC/s; peak 4 cores x 16 lanes x 2 x 2.5 GHz =
    # 320 GMAC/s, so efficiency 0.3125
    machine = MachineCpu(model="test CPU", cores=4, simd_lanes=16, frequency_ghz=2.5)
    layers = (LayerTime(name="a", macs=10**6, seconds=1e-5),
              LayerTime(name="b", macs=10**6, seconds=1e-5))  # fmt: skip
    base = load_hardware("isaac")
    measured = CpuMeasurement(machine=machine, layers=layers, repeats=5, package_power_w=40.0)
    block = cpu_overlay(base, measured, "x")["cpu"]
    assert machine.peak_macs_per_s == 4 * 16 * FMA_UNITS * 2.5e9
    assert block["efficiency"] == pytest.approx(0.3125)
    # RAPL's 40 W is the busy power; the base's 50 W idle cannot exceed it
    assert (block["power_w"], block["idle_power_w"]) == (40.0, 40.0)
    assert "measured with RAPL" in block["source"]
    unmeasured = CpuMeasurement(machine=machine, layers=layers, repeats=5, package_power_w=None)
    kept = cpu_overlay(base, unmeasured, "x")["cpu"]
    assert (kept["power_w"], kept["idle_power_w"]) == (205.0, 50.0)
    assert "not measured" in kept["source"]
