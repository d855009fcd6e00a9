"""What a performance estimate returns: `PerfResult` with per-layer `LayerCost` rows."""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

LEAKAGE_ROW = "(leakage)"  # the per-layer breakdown's row for static energy of the chips
BREAKDOWN_RTOL = 1e-9


@dataclass(frozen=True)
class LayerCost:
    name: str
    target: str  # rram | cpu | digital
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
    latency_s: float  # one image alone, input to last output
    interval_s: float  # steady-state time between images when streaming
    total_latency_s: float  # all `images` images, pipelined
    energy_per_image_j: float
    energy_by_component_j: Mapping[str, float]  # dynamic + that component's leakage
    energy_by_layer_j: Mapping[str, float]  # dynamic per layer + LEAKAGE_ROW
    leakage_energy_j: float  # per image: chips' leakage power x total time / images
    area_mm2: float
    chips_used: int
    crossbar_busy_fraction: float  # crossbar-seconds computing / (crossbars x interval)
    bottleneck: str  # the stage that sets the interval
    rram_time_s: float  # per image, summed busy time of RRAM layers
    cpu_time_s: float  # per image, CPU compute + CPU link time
    rram_energy_j: float  # per image, everything on the accelerator chips
    cpu_energy_j: float  # per image, CPU compute + CPU link
    events: int  # discrete events simulated (0 for closed-form estimators)
    layers: tuple[LayerCost, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for name, parts in (
            ("component", self.energy_by_component_j),
            ("layer", self.energy_by_layer_j),
        ):
            total = sum(parts.values())
            if not math.isclose(total, self.energy_per_image_j, rel_tol=BREAKDOWN_RTOL):
                raise AssertionError(
                    f"energy per {name} sums to {total} J, not {self.energy_per_image_j} J"
                )

    @property
    def throughput_images_per_s(self) -> float:
        return 1.0 / self.interval_s if self.interval_s > 0 else math.inf

    @property
    def total_energy_j(self) -> float:
        return self.energy_per_image_j * self.images
