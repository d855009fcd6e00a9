"""The host CPU that runs CPU-routed layers (1x1 convolutions) and its link to the chip.

Throughput is cores x SIMD lanes x FMA units x clock x efficiency multiply-accumulates per
second. Power splits into an idle part (`idle_power_w`, its static power: drawn while a design
point that runs layers on it waits for work) and the rest, charged per MAC for the time it
computes. Its silicon is not the accelerator's, so the component's area is 0; a design point
that uses the CPU path is charged its share of the die and of the idle power
(`CpuConfig.charged_share`, archsim/perf/assemble.py). The link's static power is
the chip link's (counted with the chip), so the link itself is priced per bit only.
"""

from dataclasses import dataclass

from archsim.config.hwschema import CpuConfig, CpuLinkConfig, HardwareConfig
from archsim.hw.component import ActionCost, ActionRef, Component, Datasheet
from archsim.hw.spec import ComponentSpec

# counted by the CPU path (archsim/perf/plan_other.py) and the image's I/O (plan.py)
MAC = ActionRef("cpu", "mac")
LINK_TRANSFER = ActionRef("cpu.link", "transfer", per_bit=True)


@dataclass(frozen=True)
class CpuLink(Component):
    """Host <-> accelerator link; `transfer` is one bit, plus a fixed cost per transfer."""

    link_bandwidth_bps: float
    setup_latency_s: float

    @classmethod
    def from_config(cls, hw: HardwareConfig) -> "CpuLink":
        link = hw.cpu.link
        bandwidth = link.bandwidth_gbps * 1e9
        transfer = ActionCost(
            name=LINK_TRANSFER.action,
            energy_j=link.energy_pj_per_bit * 1e-12,
            latency_s=1 / bandwidth,
            bits=1,
            source=link.source,
        )
        sheet = Datasheet(
            name=LINK_TRANSFER.component,
            power_w=0.0,  # charged per bit moved, never while idle
            area_mm2=0.0,  # its silicon is counted in chip.hypertransport
            leakage_power_w=0.0,
            actions=(transfer,),
            source=link.source,
        )
        return cls(
            sheet=sheet,
            link_bandwidth_bps=bandwidth,
            setup_latency_s=link.latency_ns * 1e-9,
        )


@dataclass(frozen=True)
class Cpu(Component):
    """`mac` is one multiply-accumulate at the CPU's sustained SIMD throughput."""

    model: str
    cores: int
    simd_lanes: int
    fma_units: int
    frequency_hz: float
    efficiency: float

    @property
    def peak_macs_per_s(self) -> float:
        return self.cores * self.simd_lanes * self.fma_units * self.frequency_hz

    @property
    def macs_per_s(self) -> float:
        """Sustained rate: the peak derated by the configured efficiency."""
        return self.peak_macs_per_s * self.efficiency

    @classmethod
    def from_config(cls, hw: HardwareConfig) -> "Cpu":
        cpu = hw.cpu
        frequency = cpu.frequency_ghz * 1e9
        rate = cpu.cores * cpu.simd_lanes * cpu.fma_units * frequency * cpu.efficiency
        mac = ActionCost(
            name=MAC.action,
            energy_j=(cpu.power_w - cpu.idle_power_w) / rate,
            latency_s=1 / rate,
            bits=None,
            source=cpu.source,
        )
        sheet = Datasheet(
            name=MAC.component,
            power_w=cpu.power_w,
            area_mm2=0.0,
            leakage_power_w=cpu.idle_power_w,
            actions=(mac,),
            source=cpu.source,
        )
        return cls(
            sheet=sheet,
            model=cpu.model,
            cores=cpu.cores,
            simd_lanes=cpu.simd_lanes,
            fma_units=cpu.fma_units,
            frequency_hz=frequency,
            efficiency=cpu.efficiency,
        )


CPU = ComponentSpec(
    name=MAC.component, level="host", block=CpuConfig, build=Cpu.from_config, actions=(MAC,)
)
CPU_LINK = ComponentSpec(
    name=LINK_TRANSFER.component,
    level="host",
    block=CpuLinkConfig,
    build=CpuLink.from_config,
    actions=(LINK_TRANSFER,),
)
