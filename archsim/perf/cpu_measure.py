"""Measure the CPU path on the machine at hand: `archsim hw calibrate-cpu`.

The CPU block of a hardware description rests on a rate (cores x SIMD lanes x FMA units x
clock x efficiency) and a busy power. Here both are measured where that is possible: every
CPU-routed layer of a mapping (the drop-connect paper's 1x1 convolutions under `cpu-1x1`) is
run with PyTorch at batch 1, one image at a time as the pipeline hands them over, `repeats`
times after a warm-up, and the sustained rate is the layers' MACs over their median times
summed. The package power comes from RAPL (`/sys/class/powercap/intel-rapl:0/energy_uj`, the
package's energy counter) read around the timed runs where the machine exposes it; where it
does not, the base description's power is kept and the block says so.

The machine's peak (cores x lanes x FMA units x clock) is read from `/proc/cpuinfo`: SIMD lanes
from its flags (AVX-512: 16 fp32 lanes, AVX2: 8, else 4), two FMA units per core (an
assumption, stated in the block), the clock as the first core's current MHz. `efficiency` is
the measured rate over that peak, so the block's rate is the measured one whatever the peak.
"""

import math
import os
import re
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archsim.errors import UserError
from archsim.mapping.records import LayerSpec, Mapping

RAPL_ENERGY = Path("/sys/class/powercap/intel-rapl:0/energy_uj")
CPUINFO = Path("/proc/cpuinfo")
FMA_UNITS = 2  # assumed per core: Skylake-SP and later server cores issue two SIMD FMAs


@dataclass(frozen=True, kw_only=True)
class LayerTime:
    name: str
    macs: int
    seconds: float  # median over the repeats, one image


@dataclass(frozen=True, kw_only=True)
class MachineCpu:
    model: str
    cores: int  # threads the layers ran on
    simd_lanes: int
    frequency_ghz: float

    @property
    def peak_macs_per_s(self) -> float:
        return self.cores * self.simd_lanes * FMA_UNITS * self.frequency_ghz * 1e9


@dataclass(frozen=True, kw_only=True)
class CpuMeasurement:
    machine: MachineCpu
    layers: tuple[LayerTime, ...]
    repeats: int
    package_power_w: float | None  # RAPL's mean package power over the timed runs

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def seconds(self) -> float:
        return math.fsum(layer.seconds for layer in self.layers)

    @property
    def macs_per_s(self) -> float:
        return self.macs / self.seconds


def cpu_layers(mapping: Mapping) -> list[LayerSpec]:
    """The weight layers a mapping sends to the CPU; an error when it sends none."""
    layers = [lm.spec for lm in mapping.layers if lm.target == "cpu" and lm.spec.is_weight_layer]
    if not layers:
        raise UserError(
            f"{mapping.model} at width {mapping.width:g} under {mapping.policy} sends no layer "
            "to the CPU: nothing to time (try --option shortcut=1x1 or --policy cpu-1x1-ends)"
        )
    return layers


def machine_cpu(threads: int) -> MachineCpu:
    """The CPU this process runs on, as /proc/cpuinfo describes it."""
    text = CPUINFO.read_text(encoding="utf-8") if CPUINFO.exists() else ""
    model = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    mhz = re.search(r"^cpu MHz\s*:\s*([\d.]+)$", text, re.M)
    flags = re.search(r"^flags\s*:\s*(.+)$", text, re.M)
    names = set(flags.group(1).split()) if flags else set()
    lanes = 16 if "avx512f" in names else 8 if "avx2" in names else 4
    return MachineCpu(
        model=model.group(1).strip() if model else "unknown CPU",
        cores=threads,
        simd_lanes=lanes,
        frequency_ghz=float(mhz.group(1)) / 1e3 if mhz else 1.0,
    )


def _rapl_uj() -> int | None:
    try:
        return int(RAPL_ENERGY.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _runner(spec: LayerSpec) -> Any:
    """A function running one image of `spec` with random weights (no autograd)."""
    import torch
    import torch.nn.functional as F

    generator = torch.Generator().manual_seed(0)
    x = torch.randn((1, *spec.in_shape), generator=generator)
    if spec.kind == "linear":
        w = torch.randn((spec.out_channels, spec.in_channels), generator=generator)
        return lambda: F.linear(x, w)
    w = torch.randn((spec.out_channels, spec.in_channels // spec.groups, *spec.kernel),
                    generator=generator)  # fmt: skip
    return lambda: F.conv2d(x, w, stride=spec.stride, padding=spec.padding, groups=spec.groups)


def time_cpu_layers(layers: list[LayerSpec], repeats: int, threads: int) -> CpuMeasurement:
    """Median batch-1 time of each layer over `repeats` runs on `threads` threads."""
    import torch

    if repeats < 1 or threads < 1:
        raise UserError(f"repeats and threads must be >= 1, got {repeats} and {threads}")
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.inference_mode():
            runners = [_runner(spec) for spec in layers]
            for run in runners:
                run()  # warm-up: allocation, kernel selection
            energy0, start = _rapl_uj(), time.perf_counter()
            times = [[0.0] * repeats for _ in runners]
            for r in range(repeats):
                for i, run in enumerate(runners):
                    t0 = time.perf_counter()
                    run()
                    times[i][r] = time.perf_counter() - t0
            elapsed, energy1 = time.perf_counter() - start, _rapl_uj()
    finally:
        torch.set_num_threads(before)
    power = None
    if energy0 is not None and energy1 is not None and energy1 > energy0 and elapsed > 0:
        power = (energy1 - energy0) * 1e-6 / elapsed
    return CpuMeasurement(
        machine=machine_cpu(threads),
        layers=tuple(
            LayerTime(name=s.name, macs=s.macs, seconds=statistics.median(t))
            for s, t in zip(layers, times, strict=True)
        ),
        repeats=repeats,
        package_power_w=power,
    )


def default_threads() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def cpu_overlay(base: Any, measured: CpuMeasurement, name: str) -> dict[str, Any]:
    """A hardware file (`base:` + a `cpu:` block) whose CPU runs at the measured rate.

    `base` is the `HardwareConfig` the layers were mapped on; its link, idle power and
    `dedicated` are kept. Power is RAPL's where measured, else the base's, and the block's
    `source` says which."""
    machine, cpu = measured.machine, base.cpu
    efficiency = min(1.0, measured.macs_per_s / machine.peak_macs_per_s)
    shapes = ", ".join(f"{t.name} {t.macs:,} MACs in {t.seconds * 1e6:.1f} us"
                       for t in measured.layers)  # fmt: skip
    if measured.package_power_w is not None:
        power = measured.package_power_w
        power_note = (f"package power {power:.1f} W measured with RAPL "
                      "(intel-rapl:0) over the timed runs")  # fmt: skip
    else:
        power = cpu.power_w
        power_note = (f"power {power:g} W kept from {base.name}: this machine exposes no RAPL "
                      "counter, so the power was not measured")  # fmt: skip
    idle = min(cpu.idle_power_w, power)
    source = (
        f"measured by archsim hw calibrate-cpu on {machine.model}, {machine.cores} threads: "
        f"{shapes} (batch 1, median of {measured.repeats} runs), "
        f"{measured.macs_per_s / 1e9:.3f} GMAC/s sustained = efficiency {efficiency:.4g} of "
        f"the {machine.peak_macs_per_s / 1e9:.1f} GMAC/s peak ({machine.cores} cores x "
        f"{machine.simd_lanes} fp32 lanes from /proc/cpuinfo flags x {FMA_UNITS} FMA units, "
        f"an assumption, x {machine.frequency_ghz:.3f} GHz); {power_note}; idle power "
        f"{idle:g} W and the link kept from {base.name}"
    )
    package = max(machine.cores, os.cpu_count() or machine.cores)
    source += (f"; package_cores {package} from os.cpu_count(), die area {cpu.die_area_mm2:g} "
               f"mm^2 kept from {base.name} (not this machine's: not measured)")  # fmt: skip
    block = {
        "model": machine.model, "cores": machine.cores, "package_cores": package,
        "die_area_mm2": cpu.die_area_mm2, "simd_lanes": machine.simd_lanes,
        "fma_units": FMA_UNITS, "frequency_ghz": round(machine.frequency_ghz, 6),
        "efficiency": efficiency, "power_w": power, "idle_power_w": idle, "source": source,
    }  # fmt: skip
    return {"base": base.name, "name": name, "cpu": block}
