"""Closed-form performance estimate (`estimators.py` dispatches between all estimators).

`analytic`: the same schedule the DES runs (`stages.py`), evaluated without events. A group
finishes at max(ready, its lane free) + its contention-free duration, stage after stage, layer
after layer (a max-plus recurrence), which gives the single-image latency; the streaming
interval is the busiest stage's per-image busy time, where a shared resource (the CPU, a CPU
link direction, the ADCs of an IMA several lanes or layers share) is busy for the sum of
every stage's work on it. N images take latency +
(N - 1) x interval. What it leaves out, and the DES does not: queueing on shared resources
(CPU layers overlapping each other, IMAs whose ADCs serve two layers) and how the pipeline
fills before it reaches that interval. Where either happens the result says so in a note.

"""

from archsim.errors import UserError
from archsim.perf.assemble import Timing, assemble, bottleneck_of, shared_resource_busy_s
from archsim.perf.plan import PlannedMapping
from archsim.perf.result import PerfResult
from archsim.perf.stages import LayerPlan


def single_image_finish_s(plans: tuple[LayerPlan, ...]) -> list[list[float]]:
    """Finish time of every group of every layer for one image alone (no shared queueing)."""
    done: list[list[float]] = []
    for plan in plans:
        ready = [
            0.0 if plan.producer < 0 or need < 0 else done[plan.producer][need]
            for need in plan.need
        ]
        for stage in plan.stages:
            lane_free = [0.0] * stage.lanes
            finished = []
            for group, duration in enumerate(stage.durations_s):
                lane = stage.lane_of(0, group)
                end = max(ready[group], lane_free[lane]) + duration
                lane_free[lane] = end
                finished.append(end + stage.delay_s)
            ready = finished
        done.append(ready)
    return done


def streaming_interval_s(plans: tuple[LayerPlan, ...]) -> float:
    return max(bottleneck_of(plans)[1], max(shared_resource_busy_s(plans).values(), default=0))


def _notes(plans: tuple[LayerPlan, ...]) -> tuple[str, ...]:
    notes = []
    cpu_layers = [p.name for p in plans if p.target == "cpu"]
    if len(cpu_layers) > 1:
        notes.append(
            f"analytic: {len(cpu_layers)} CPU layers share the CPU and its link; their "
            "queueing behind each other within an image is not modelled (the DES has it)"
        )
    shared = {
        bank.key
        for p in plans
        for s in p.stages
        for lane in s.lane_adc
        for bank in lane
        if bank.shared
    }
    if shared:
        notes.append(
            f"analytic: {len(shared)} IMA(s) with fewer ADCs than busy crossbars are shared "
            "by several layers or lanes; the interval counts their ADCs' total work, the latency "
            "times each user as if alone (the DES queues them)"
        )
    return tuple(notes)


def analytic_estimate(point: PlannedMapping, images: int = 1) -> PerfResult:
    """The closed form of a planned mapping's schedule for `images` images."""
    if images < 1:
        raise UserError(f"images must be >= 1, got {images}")
    mapping, plans, costs = point.mapping, point.plans, point.costs
    latency = max((max(d, default=0.0) for d in single_image_finish_s(plans)), default=0.0)
    interval = streaming_interval_s(plans)
    timing = Timing(latency, interval, latency + (images - 1) * interval)
    return assemble(mapping, plans, costs, timing, "analytic", images, _notes(plans))
