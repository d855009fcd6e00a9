"""Discrete-event simulation (SimPy) of the layer pipeline of a mapped network.

The engine (`des_engine.py`) runs every stage lane as a process with finite buffers between
layers (back-pressure), the CPU and its link as priority resources and the ADCs of IMAs that
several lanes or layers share as banks they queue for. Images enter as fast as the pipeline
admits them: the first layer takes the next image as soon as its lane is free and its output
buffer has room.

The single-image latency comes from a run with one image. The streaming interval comes from a
second run: the mean spacing of completions over a window of at least eight images and whole
lane periods of the stages that set the pace (the images after which their groups fall on
the same lanes again, so round-robin lanes do not bias it; at most 36). The run lets
latency / T images (at most 12, `MAX_FILL`) fill the pipeline (T the closed-form interval,
`analytic.py`, used only to size the run) and stops once two successive windows give the
same spacing (to 1e-9: the stream is periodic), or after three windows (`Steady`); images
keep entering behind the window, since the last images of a stream, meeting no later ones,
would speed up. Nothing takes the closed form's number: the interval is what the run
measures, so where queueing for shared ADCs or the CPU link, or a buffer the eDRAM keeps
small, slows the pipeline, it is longer than the closed form's lower bound. N images take
C_K + (N - K) x interval, C_K the completion of the window's last image K.
"""

import math
from collections.abc import Callable

from archsim.errors import UserError
from archsim.perf.analytic import streaming_interval_s
from archsim.perf.assemble import Timing, assemble
from archsim.perf.des_engine import PipelineSim, TraceEntry
from archsim.perf.plan import PlannedMapping
from archsim.perf.result import PerfResult
from archsim.perf.stages import LayerPlan

MIN_WINDOW = 8  # images the streaming interval is measured over, at least
MAX_PERIOD = 36  # longest lane period (in images) the window is sized to cover
MAX_FILL = 12  # images let through before measuring, at most
MAX_WINDOWS = 3  # windows after the fill the run may take to become steady


def run_pipeline(
    plans: tuple[LayerPlan, ...],
    images: int,
    watch: Callable[[int, list[float]], bool],
    trace: list[TraceEntry] | None = None,
) -> tuple[list[float], int]:
    """Completion time of each image and the number of events simulated; the run stops when
    `watch(n, finish)`, called as image n is out (every image before it too), says so."""
    return PipelineSim(plans, images, watch, trace).run()


class Steady:
    """Stops a stream once it is steady: the mean spacing of completions over the last
    `window` images equals (to 1e-9) that over the `window` before, after `fill` images
    (then the spacing is periodic in whole windows), or at image `last` at the latest."""

    def __init__(self, fill: int, window: int, last: int) -> None:
        self.fill, self.window, self.last = fill, window, last
        self.out = 0  # the image the run stopped at

    def __call__(self, image: int, finish: list[float]) -> bool:
        w = self.window
        if image < self.fill + 2 * w and image < self.last:
            return False
        recent = finish[image] - finish[image - w]
        steady = abs(recent - (finish[image - w] - finish[image - 2 * w])) <= 1e-9 * recent
        if steady or image >= self.last:
            self.out = image
            return True
        return False


def lane_period(plans: tuple[LayerPlan, ...], cap: int = MAX_PERIOD) -> int:
    """Images after which the groups of every stage that sets the pace (the busiest; every
    stage when a shared resource sets it) fall on the same lanes again (at most cap): a
    window of other lengths would give those lanes unequal shares of its groups."""
    busiest = max((s.busy_s() for p in plans for s in p.stages if not s.resource), default=0.0)
    pacing = [
        (plan.groups, stage.lanes)
        for plan in plans
        for stage in plan.stages
        if not stage.resource and stage.busy_s() >= busiest * (1 - 1e-9)
    ]
    if streaming_interval_s(plans) > busiest * (1 + 1e-9):
        pacing = [(plan.groups, stage.lanes) for plan in plans for stage in plan.stages]
    period = 1
    for groups, lanes in pacing:
        period = math.lcm(period, lanes // math.gcd(lanes, groups))
        if period > cap:
            return cap
    return period


def measured_images(plans: tuple[LayerPlan, ...]) -> int:
    """Images the interval is averaged over: whole lane periods, at least MIN_WINDOW."""
    period = lane_period(plans)
    return period * math.ceil(MIN_WINDOW / period)


def pipeline_depth(latency_s: float, interval_s: float) -> int:
    """Images let through before measuring: those in flight at the closed-form pace (at most
    MAX_FILL)."""
    return min(MAX_FILL, math.ceil(latency_s / interval_s)) if interval_s > 0 else 1


def simulate(
    point: PlannedMapping, images: int = 1, *, trace: list[TraceEntry] | None = None
) -> PerfResult:
    """Simulate `images` images streaming through a planned mapping. `trace`, if given,
    receives the single-image run's (time_s, "layer stage imgI gG start|end") entries."""
    if images < 1:
        raise UserError(f"images must be >= 1, got {images}")
    mapping, plans, costs = point.mapping, point.plans, point.costs
    single, events = run_pipeline(plans, 1, lambda image, finish: True, trace)
    fill = pipeline_depth(single[0], streaming_interval_s(plans))
    window = measured_images(plans)
    steady = Steady(fill, window, fill + MAX_WINDOWS * window)
    finish, more_events = run_pipeline(plans, steady.last + 1 + fill, steady)
    last = steady.out
    interval = (finish[last] - finish[last - window]) / window
    if images <= last + 1:
        total = finish[images - 1] if images > 1 else single[0]
    else:
        total = finish[last] + (images - last - 1) * interval
    note = (
        "DES: images enter as fast as the pipeline admits them (finite buffers, shared ADCs "
        "and CPU link queued); the streaming interval is the measured mean spacing of "
        "completions once the pipeline is full, and further images are extrapolated at it"
    )
    timing = Timing(single[0], interval, total, events + more_events)
    return assemble(mapping, plans, costs, timing, "des", images, (note,))
