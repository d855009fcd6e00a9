"""The schedule both engines run: per layer, output-row groups flowing through a few stages.

A layer's output rows are cut into groups (the event grain; see `grouping.py`). Each group
passes through the layer's stages in order (RRAM: compute then transfer; CPU: link in, CPU,
link out; digital: compute). A stage has `lanes` independent servers, dealt groups round
robin (continuing across images), each serving its groups in order; a stage may also hold a
shared resource (the CPU, a CPU link) that other layers' stages compete for. `durations_s`
are the contention-free times; the DES adds contention, the analytic model evaluates the
same schedule as a recurrence.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class AdcClass:
    """The ADC bank of one IMA (or of identical private IMAs) as one lane of a layer sees it."""

    key: tuple[object, ...]  # identity of the bank: shared IMAs by position, private by content
    job_s_per_wave: tuple[float, ...]  # ADC busy time of each crossbar per MVM wave
    adcs: int  # ADCs in the bank (SimPy Resource capacity)
    shared: bool  # other layers or lanes use this IMA too


@dataclass(frozen=True)
class Stage:
    """One step every group of a layer goes through."""

    name: str  # compute | transfer | copy | link_in | cpu | link_out
    lanes: int
    durations_s: tuple[float, ...]  # per group, contention-free
    resource: str | None = None  # shared DES resource name (cpu, cpu_link_in, cpu_link_out)
    waves: tuple[float, ...] = ()  # RRAM compute: MVM waves per group
    lane_adc: tuple[tuple[AdcClass, ...], ...] = ()  # RRAM compute: ADC banks per lane
    delay_s: float = 0.0  # added to every group's finish without holding the lane (latency)
    # RRAM transfer: per lane, the router ports and chip links its waves use, with their
    # seconds per wave ((kind, index), s); the DES queues lanes that share one
    lane_links: tuple[tuple[tuple[tuple[str, int], float], ...], ...] = ()

    def lane_of(self, image: int, group: int) -> int:
        """Groups are dealt to lanes round robin, continuing from one image to the next."""
        return (image * len(self.durations_s) + group) % self.lanes

    def busy_s(self) -> float:
        """Per-image busy time of one lane while images stream (lanes share the work)."""
        return sum(self.durations_s) / self.lanes


@dataclass(frozen=True)
class LayerPlan:
    """A layer ready to schedule: its groups, what each needs from its producer, its stages."""

    name: str
    target: str  # rram | cpu | digital | host (image in / result out over the host link)
    kind: str
    group_rows_end: tuple[int, ...]  # exclusive last output row of each group
    group_pixels: tuple[int, ...]  # output positions in each group
    producer: int  # index of the producing layer in the plan, -1 = the network input
    need: tuple[int, ...]  # per group: producer group that must be done first (-1: none)
    stages: tuple[Stage, ...]
    action_counts: Mapping[str, float]  # per image: "component.action" -> count
    crossbars: int = 0
    buffer_groups: int = 0  # producer groups its tiles' eDRAM holds (0: not bounded)
    tiles: frozenset[tuple[int, int]] = field(default_factory=frozenset)
    chips: frozenset[int] = field(default_factory=frozenset)
    notes: tuple[str, ...] = ()

    @property
    def groups(self) -> int:
        return len(self.group_rows_end)

    def busy_s(self) -> float:
        """Per-image time of this layer's slowest stage (its pipeline service time)."""
        return max((stage.busy_s() for stage in self.stages), default=0.0)
