"""What a performance estimate returns: `PerfResult` with per-layer `LayerCost` rows.

The headline is throughput (images per second while images stream); one image alone takes
`latency_s`; `total_latency_s` is only derived, the time for `images` images. Energy per image
splits into four parts that sum to it: the accelerator's dynamic energy, its static energy
(static power of the powered tiles and chips x the streaming interval), the CPU (compute above
idle plus idle power over the interval when the design point uses it) and the links (host
link and chip-to-chip links, per bit). Area is provisioned (the budget's chips) and occupied
(the tiles used plus their share of the chip-level parts).
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from archsim.hw.cpu import CPU_LINK
from archsim.hw.hypertransport import HYPERTRANSPORT

STATIC_ROW = "(static)"  # the per-layer breakdown's row for static energy
CPU_IDLE_ROW = "(cpu idle)"  # its row for a dedicated CPU's idle power over the interval
BREAKDOWN_RTOL = 1e-9
LINK_COMPONENTS = (CPU_LINK.name, HYPERTRANSPORT.name)


@dataclass(frozen=True)
class LayerCost:
    name: str
    target: str  # rram | cpu | digital | host
    busy_s: float  # per-image time of the layer's slowest stage (its pipeline service time)
    latency_share: float  # busy_s / sum of all layers' busy_s
    energy_j: float  # dynamic energy per image
    energy_by_component_j: Mapping[str, float]


@dataclass(frozen=True)
class PerfResult:
    """Cost of running a mapped network; energies are per image, times in seconds."""

    model: str
    width: float
    hardware: str
    estimator: str  # des | analytic | paper
    images: int
    latency_s: float  # one image alone, input to result
    interval_s: float  # steady-state time between images when streaming
    total_latency_s: float  # derived: all `images` images, pipelined
    energy_per_image_j: float
    energy_by_component_j: Mapping[str, float]  # dynamic + that component's static energy
    energy_by_layer_j: Mapping[str, float]  # dynamic per layer + STATIC_ROW
    dynamic_energy_j: float  # accelerator actions, links excluded
    static_energy_j: float  # accelerator static power x interval
    cpu_energy_j: float  # CPU compute above idle + its idle power x interval when used
    link_energy_j: float  # host link and chip-to-chip links, per bit moved
    budget_chips: int  # chips provisioned for the design point (the chips a tile budget spans)
    chips_used: int  # chips holding at least one layer
    tiles_used: int
    provisioned_area_mm2: float  # budget_chips x chip area
    occupied_area_mm2: float  # tiles used x tile area + their share of chip-level parts
    crossbar_busy_fraction: float  # crossbar-seconds computing / (crossbars x interval)
    bottleneck: str  # the stage that sets the interval
    rram_time_s: float  # per image, summed busy time of RRAM layers
    cpu_time_s: float  # per image, CPU compute + CPU link time
    events: int  # discrete events simulated (0 for closed-form estimators)
    budget_tiles: int = 0  # tiles provisioned when the budget is part of a chip (0: whole)
    layers: tuple[LayerCost, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    # static energy per image by component (the CPU's idle power under "cpu"); the dynamic
    # part of each component is in `layers`
    static_by_component_j: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        split = self.dynamic_energy_j + self.static_energy_j + self.cpu_energy_j
        for name, parts in (
            ("component", self.energy_by_component_j),
            ("layer", self.energy_by_layer_j),
            ("part (dynamic, static, cpu, links)", {"split": split + self.link_energy_j}),
        ):
            total = math.fsum(parts.values())
            if not math.isclose(total, self.energy_per_image_j, rel_tol=BREAKDOWN_RTOL):
                raise AssertionError(
                    f"energy per {name} sums to {total} J, not {self.energy_per_image_j} J"
                )

    @property
    def throughput_images_per_s(self) -> float:
        return 1.0 / self.interval_s if self.interval_s > 0 else math.inf

    @property
    def images_per_j(self) -> float:
        return 1.0 / self.energy_per_image_j if self.energy_per_image_j > 0 else math.inf

    @property
    def images_per_s_per_mm2(self) -> float:
        """Throughput per occupied mm^2 of accelerator silicon."""
        if self.occupied_area_mm2 <= 0:
            return math.inf
        return self.throughput_images_per_s / self.occupied_area_mm2

    @property
    def total_energy_j(self) -> float:
        return self.energy_per_image_j * self.images
