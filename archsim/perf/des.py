"""Discrete-event simulation (SimPy) of the layer pipeline of a mapped network.

Every stage lane of every layer (see `stages.py`) is a SimPy process that takes its groups in
order (dealt round robin, continuing from image to image): it waits until the producer's
group holding the receptive field is done (or its own previous stage), holds any shared
resource it needs (the CPU, a CPU link direction, the ADCs of an IMA), spends the stage's
time and signals the group done. The ADCs of an IMA shared between layers or lanes are a SimPy
resource with one request per crossbar per group; a bank one lane has to itself serves its
crossbars in the same order every wave, so its finish time is folded into the wave in closed
form (`plan_rram.compute_stage`) without events. Shared resources serve the oldest image
first (`simpy.PriorityResource`, priority = image index), as a pipeline would, so a later
image's early layers never starve an earlier image's late ones.

The single-image latency comes from a run with one image. The streaming interval comes from
a second run in which image n enters the first layer's buffer at n x T, T the closed-form
interval (`analytic.py`, a lower bound: the busiest stage's or shared resource's work per
image). Without contention the pipeline keeps that pace; where contention slows it, the
bottleneck backs up and images leave further apart. The interval is the mean time between
completions over a window of at least eight images and whole lane periods (the images after
which groups fall on the same lanes again, so round-robin lanes do not bias it), after
min(latency / T, 8) images (`MAX_FILL`): a pipeline deeper than eight images (23.7 has been
seen) is measured before it has filled, which can understate the interval where contention
builds up only once it is full; without contention the spacing is T either way. When a
shared resource (the CPU link) is the bottleneck, completions jitter from image to image;
eight images average that to within about 2% of the long-run spacing (checked against
80-image runs). N images take
C_K + (N - K) x interval, K the images of the second run.
"""

import math
from collections.abc import Generator
from typing import Any

import simpy

from archsim.errors import UserError
from archsim.mapping.records import Mapping
from archsim.perf.analytic import streaming_interval_s
from archsim.perf.assemble import Timing, assemble
from archsim.perf.grouping import DEFAULT_MAX_GROUPS
from archsim.perf.hw_costs import HardwareLike, as_costs
from archsim.perf.plan import cached_plans
from archsim.perf.result import PerfResult
from archsim.perf.stages import LayerPlan, Stage

MIN_WINDOW = 8  # images the streaming interval is measured over, at least
MAX_PERIOD = 16  # longest lane period (in images) the window is sized to cover
MAX_FILL = 8  # images let through before measuring, at most
TraceEntry = tuple[float, str]


class Signals:
    """Which groups of one stage are done, per image; an event exists only while awaited."""

    __slots__ = ("done", "env", "waiting")

    def __init__(self, env: simpy.Environment, images: int, groups: int) -> None:
        self.env = env
        self.done = [bytearray(groups) for _ in range(images)]
        self.waiting: dict[tuple[int, int], simpy.Event] = {}

    def wait(self, image: int, group: int) -> simpy.Event | None:
        """None if the group is done, else the event that fires when it is."""
        if self.done[image][group]:
            return None
        event = self.waiting.get((image, group))
        if event is None:
            event = self.waiting[(image, group)] = self.env.event()
        return event

    def fire(self, image: int, group: int) -> None:
        self.done[image][group] = 1
        event = self.waiting.pop((image, group), None)
        if event is not None:
            event.succeed()


class PipelineSim:
    """One simulation run of `images` images through the plans."""

    def __init__(
        self, plans: tuple[LayerPlan, ...], images: int, spacing_s: float, trace: list | None
    ) -> None:
        self.env = simpy.Environment()
        self.images = images
        self.spacing_s = spacing_s  # image n enters the first layer's buffer at n x spacing
        self.trace = trace
        self.finish_s = [0.0] * images
        self.resources: dict[object, simpy.PriorityResource] = {}
        # per layer: the signals of its last stage and the group map into them (a reshape
        # with no stage of its own forwards its producer's signals)
        self.outputs: list[tuple[Signals | None, tuple[int, ...]]] = []
        for plan in plans:
            self.outputs.append(self._build_layer(plan))

    def _resource(self, key: object, capacity: int) -> simpy.PriorityResource:
        if key not in self.resources:
            self.resources[key] = simpy.PriorityResource(self.env, capacity=capacity)
        return self.resources[key]

    def _build_layer(self, plan: LayerPlan) -> tuple[Signals | None, tuple[int, ...]]:
        source: Signals | None = None
        groups = tuple(range(plan.groups))
        need = plan.need
        if plan.producer >= 0:
            source, producer_groups = self.outputs[plan.producer]
            need = tuple(producer_groups[n] if n >= 0 else -1 for n in plan.need)
        if not plan.stages:
            return source, need
        for stage in plan.stages:
            after = Signals(self.env, self.images, plan.groups)
            for lane in range(stage.lanes):
                self.env.process(self._lane(plan, stage, lane, source, need, after))
            source, need = after, groups
        return source, groups

    def _lane(
        self,
        plan: LayerPlan,
        stage: Stage,
        lane: int,
        source: Signals | None,
        need: tuple[int, ...],
        after: Signals,
    ) -> Generator[simpy.Event, Any, None]:
        env, groups, trace = self.env, plan.groups, self.trace
        simple = stage.resource is None and not any(
            bank.shared for bank in (stage.lane_adc[lane] if stage.lane_adc else ())
        )
        label = f"{plan.name} {stage.name}"
        for index in range(lane, self.images * groups, stage.lanes):
            image, group = divmod(index, groups)
            if source is not None and need[group] >= 0:
                ready = source.wait(image, need[group])
                if ready is not None:
                    yield ready
            elif env.now < image * self.spacing_s:
                yield env.timeout(image * self.spacing_s - env.now)
            if trace is not None:
                trace.append((env.now, f"{label} img{image} g{group} start"))
            if simple:
                if stage.durations_s[group] > 0:
                    yield env.timeout(stage.durations_s[group])
            else:
                yield from self._work(stage, lane, image, group)
            if stage.delay_s > 0:  # the data arrives later; the lane is free now
                env.process(self._arrive(after, image, group, stage.delay_s, label))
            else:
                self._done(after, image, group, label)

    def _arrive(
        self, after: Signals, image: int, group: int, delay_s: float, label: str
    ) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(delay_s)
        self._done(after, image, group, label)

    def _done(self, after: Signals, image: int, group: int, label: str) -> None:
        after.fire(image, group)
        now = self.env.now
        if self.trace is not None:
            self.trace.append((now, f"{label} img{image} g{group} end"))
        if now > self.finish_s[image]:
            self.finish_s[image] = now

    def _work(
        self, stage: Stage, lane: int, image: int, group: int
    ) -> Generator[simpy.Event, Any, None]:
        """A group's time when it holds a shared resource or may queue for ADCs."""
        env = self.env
        if stage.resource is not None:
            resource = self._resource(stage.resource, 1)
            with resource.request(priority=image) as request:
                yield request
                yield env.timeout(stage.durations_s[group])
            return
        waves = stage.waves[group]
        jobs = [
            env.process(self._adc(self._resource(bank.key, bank.adcs), image, waves * job))
            for bank in stage.lane_adc[lane]
            if bank.shared
            for job in bank.job_s_per_wave
        ]
        yield env.all_of([env.timeout(stage.free_s[group]), *jobs])

    def _adc(
        self, adcs: simpy.PriorityResource, image: int, busy_s: float
    ) -> Generator[simpy.Event, Any, None]:
        with adcs.request(priority=image) as request:
            yield request
            yield self.env.timeout(busy_s)

    def run(self) -> tuple[list[float], int]:
        """Completion time of each image and the number of events SimPy scheduled."""
        self.env.run()
        # SimPy numbers every scheduled event from one counter; its next value is the count
        return self.finish_s, next(self.env._eid)  # type: ignore[attr-defined]


def run_pipeline(
    plans: tuple[LayerPlan, ...],
    images: int,
    spacing_s: float = 0.0,
    trace: list[TraceEntry] | None = None,
) -> tuple[list[float], int]:
    """Completion time of each image and the number of events simulated."""
    return PipelineSim(plans, images, spacing_s, trace).run()


def lane_period(plans: tuple[LayerPlan, ...], cap: int = MAX_PERIOD) -> int:
    """Images after which every stage's groups fall on the same lanes again (at most cap)."""
    period = 1
    for plan in plans:
        for stage in plan.stages:
            period = math.lcm(period, stage.lanes // math.gcd(stage.lanes, plan.groups))
            if period > cap:
                return cap
    return period


def measured_images(plans: tuple[LayerPlan, ...]) -> int:
    """Images the interval is averaged over: whole lane periods, at least MIN_WINDOW."""
    period = lane_period(plans)
    return period * math.ceil(MIN_WINDOW / period)


def pipeline_depth(latency_s: float, interval_s: float) -> int:
    """Images in flight at once when they enter one interval apart (at most MAX_FILL)."""
    return min(MAX_FILL, math.ceil(latency_s / interval_s)) if interval_s > 0 else 1


def simulate(
    mapping: Mapping,
    hw: HardwareLike,
    images: int = 1,
    *,
    max_groups: int = DEFAULT_MAX_GROUPS,
    trace: list[TraceEntry] | None = None,
) -> PerfResult:
    """Simulate `images` images streaming through `mapping` on `hw` (a HardwareConfig, a
    hardware name or PerfCosts). `trace`, if given, receives the single-image run's
    (time_s, "layer stage imgI gG start|end") entries."""
    if images < 1:
        raise UserError(f"images must be >= 1, got {images}")
    costs = as_costs(hw)
    plans = cached_plans(mapping, costs, max_groups)
    single, events = run_pipeline(plans, 1, trace=trace)
    bound = streaming_interval_s(plans)
    fill, window = pipeline_depth(single[0], bound), measured_images(plans)
    streamed = fill + window + 1
    finish, more_events = run_pipeline(plans, streamed, bound)
    # The closed-form interval is a hard lower bound on the long-run spacing (the busiest
    # stage or shared resource works that long per image); a finite window can measure a
    # little below it when round-robin lanes phase differently at its two ends, which is a
    # sampling artefact, not a faster pipeline.
    interval = max((finish[-1] - finish[fill]) / window, bound)
    if images <= streamed:
        total = finish[images - 1] if images > 1 else single[0]
    else:
        total = finish[-1] + (images - streamed) * interval
    note = (
        "DES: images enter one closed-form interval apart; the streaming interval is the "
        "mean spacing of completions once the pipeline is full, and further images are "
        "extrapolated at it"
    )
    timing = Timing(single[0], interval, total, events + more_events)
    return assemble(mapping, plans, costs, timing, "des", images, (note,))
