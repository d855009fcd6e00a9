"""The SimPy pipeline `des.py` runs: stage lanes, finite buffers, shared ADC banks and links.

Every stage lane of every layer (see `stages.py`) is a SimPy process that takes its groups in
order (dealt round robin, continuing from image to image). Before a group starts it waits for
what it reads (the producer's group holding its receptive field, or its own previous stage)
and, in a layer's first stage, for room in the layer's output buffer (`Buffer`); then it holds
the shared resources it needs (the CPU or a direction of its link: a `simpy.PriorityResource`
serving the oldest image first; the ADCs of IMAs other lanes or layers use too: a `Bank`) for
the stage's time and signals the group done. The first layer's first stage takes a new image
as soon as its lane is free and its buffer has room: images enter as fast as the pipeline
admits them.

Buffers (back-pressure): the rows a layer has produced wait in its consumer's input buffer
until no group of the consumer still reads them. A layer may start producing group k (counted
across images) only while fewer than `capacity` of its groups are held; the consumer frees
rows in order, once the group after the one that read them last is done (the receptive field
of a 3x3 stride-1 kernel overlaps the next output row by two input rows, so the rows below
the second-last finished group's need are free). The capacity is the largest receptive window
the consumer's lanes hold at once plus one group per lane of each producer stage (the groups
in flight between them), so neither layer waits for room while both keep their pace; it
bounds how far an early layer runs ahead of a slow one.

ADC banks: a lane whose crossbars sit in an IMA other users share books min(crossbars, ADCs)
of that IMA's ADCs, the ones free first, first come first served (`Bank`, a calendar of
when each ADC is next free: booking needs no event), for its crossbars' conversions over
the group's waves, spread evenly over the ADCs it took, so a bank is busy exactly for the
conversions it makes; each bank is booked on its own, and the group ends when its last bank
has converted, and no earlier than its contention-free duration (the closed form's,
`plan_rram.compute_stage`) after its start.

Router ports and chip links: a tile's router port (and a chip's link) that the transfers of
several lanes, of one layer or of several, send through is a calendar of one unit
(`Bank(1)`: first come first served in the order the transfers ask for it, which is a
`simpy.Resource` of capacity 1 without its events): a lane's transfer books each such port
and link for its bits over the group's waves from its start, and ends when the last of them
is done, never before its contention-free duration. A port only one lane uses is not
booked. So a port that many replicas share can set the pace, where the closed form, which
times each lane's transfer as if alone, does not see it.
"""

from collections.abc import Callable, Generator
from typing import Any

import simpy

from archsim.perf.stages import LayerPlan, Stage

TraceEntry = tuple[float, str]
Hold = tuple["Bank", int, float]  # a bank, the ADCs taken, conversion seconds per wave
Feed = tuple["Buffer", tuple[int, ...], int]  # buffer, need per group, producer's groups


class Signals:
    """When the groups of one stage are done, per image, as soon as that time is known (a
    stage that holds nothing shared knows its end when it starts: no event marks it); an
    event exists only while awaited."""

    __slots__ = ("at", "done", "env", "waiting")

    def __init__(self, env: simpy.Environment, images: int, groups: int) -> None:
        self.env = env
        self.done = [bytearray(groups) for _ in range(images)]  # its end is known
        self.at = [[0.0] * groups for _ in range(images)]  # that end
        self.waiting: dict[tuple[int, int], Later] = {}

    def wait(self, image: int, group: int) -> simpy.Event | None:
        """None if the group is done by now, else an event that fires when it is."""
        if self.done[image][group]:
            delay = self.at[image][group] - self.env.now
            return self.env.timeout(delay) if delay > 0 else None
        event = self.waiting.get((image, group))
        if event is None:
            event = self.waiting[(image, group)] = Later(self.env)
        return event

    def fire(self, image: int, group: int, at: float) -> None:
        """The group ends at `at` (now or later)."""
        self.done[image][group] = 1
        self.at[image][group] = at
        event = self.waiting.pop((image, group), None)
        if event is not None:
            event.succeed_in(max(0.0, at - self.env.now))


class Later(simpy.Event):
    """An awaited group's end: once the end is known it is scheduled for that time, one
    event (as a `simpy.Timeout` is), however far ahead the end became known."""

    def succeed_in(self, delay_s: float) -> None:
        self._ok, self._value = True, None
        self.env.schedule(self, simpy.events.NORMAL, delay_s)


class Bank:
    """The ADCs of one shared IMA as a calendar: when each ADC is next free. A request takes
    the ADCs that free up first, in the order requests arrive (first come first served), and
    books them; it needs no event of its own."""

    __slots__ = ("free_at",)

    def __init__(self, adcs: int) -> None:
        self.free_at = [0.0] * adcs  # ascending

    def book(self, now: float, units: int, busy_s: float) -> float:
        """Book `units` ADCs for `busy_s` from when they are free (not before `now`); the end."""
        free_at = self.free_at
        end = max(now, free_at[units - 1]) + busy_s
        if units == len(free_at):
            self.free_at = [end] * units
        else:
            self.free_at = sorted([*free_at[units:], *([end] * units)])
        return end


class Buffer:
    """A layer's output rows held in its consumer's input buffer, counted in groups."""

    __slots__ = ("capacity", "consumed", "done", "env", "released", "waiting")

    def __init__(self, env: simpy.Environment, capacity: int) -> None:
        self.env, self.capacity = env, capacity
        self.released = 0  # producer groups (across images) no consumer group reads any more
        self.consumed = 0  # consumer groups done in order
        self.done: set[int] = set()
        self.waiting: dict[int, simpy.Event] = {}

    def room(self, index: int) -> simpy.Event | None:
        """None if producer group `index` fits now, else the event that fires when it does."""
        if index < self.released + self.capacity:
            return None
        limit = index - self.capacity + 1  # released must reach this
        event = self.waiting.get(limit)
        if event is None:
            event = self.waiting[limit] = self.env.event()
        return event

    def release(self, upto: int) -> None:
        if upto <= self.released:
            return
        self.released = upto
        for limit in [k for k in self.waiting if k <= upto]:
            self.waiting.pop(limit).succeed()


def buffer_capacity(need: tuple[int, ...], producer_groups: int, lanes: int, ahead: int) -> int:
    """Producer groups to hold so `lanes` consumer groups can run at once and the producer's
    `ahead` groups in flight (one per lane of each of its stages) can be the next ones: the
    most rows the consumer holds while its oldest unfinished group, and the lanes - 1 after
    it, read theirs (in a steady image), plus `ahead`."""
    groups = len(need)
    held = max(
        (c + lanes - 1) // groups * producer_groups
        + need[(c + lanes - 1) % groups]
        + 1
        - freed_upto(need, producer_groups, c)
        for c in range(groups, 2 * groups)
    )
    return held + ahead


def freed_upto(need: tuple[int, ...], producer_groups: int, consumed: int) -> int:
    """Producer groups (across images) free once `consumed` consumer groups are done in order."""
    image, group = divmod(consumed, len(need))
    if group < 2:
        return image * producer_groups
    return image * producer_groups + max(0, need[group - 2])


UserKey = tuple[int, int, int]  # (plan, stage, lane)


def folded_tail(stages: tuple[Stage, ...], position: int) -> Stage | None:
    """The stage after `position` when its lanes take exactly the groups the lanes of this
    one finish, in the same order, and it holds nothing shared (an RRAM layer's transfer
    after its compute): its lane's timeline is then max(its data ready, its lane free) +
    its duration, run in the same process with no events of its own."""
    if position + 1 >= len(stages):
        return None
    stage, tail = stages[position], stages[position + 1]
    plain = tail.resource is None and not tail.lane_adc and tail.delay_s == 0
    return tail if plain and tail.lanes == stage.lanes and stage.delay_s == 0 else None


def shared_banks(plans: tuple[LayerPlan, ...]) -> dict[UserKey, tuple[Hold, ...]]:
    """Per lane of an RRAM stage: the shared banks it books, the ADCs it takes of each and
    their conversion seconds per wave; per lane of a transfer, the router ports and chip
    links other lanes use too (one unit each, its seconds per wave). Calendars booked by the
    same lanes for the same work keep the same times, so they are one `Bank` (exact, and far
    fewer bookings)."""
    users: dict[tuple[object, ...], list[tuple[UserKey, int, float]]] = {}
    adcs: dict[tuple[object, ...], int] = {}
    for p, plan in enumerate(plans):
        for s, stage in enumerate(plan.stages):
            for lane, banks in enumerate(stage.lane_adc):
                for bank in (b for b in banks if b.shared):
                    units = min(len(bank.job_s_per_wave), bank.adcs)
                    work = (units, sum(bank.job_s_per_wave) / units)
                    users.setdefault(bank.key, []).append(((p, s, lane), *work))
                    adcs[bank.key] = bank.adcs
            for lane, links in enumerate(stage.lane_links):
                for place, per_wave in links:
                    users.setdefault(("link", place), []).append(((p, s, lane), 1, per_wave))
                    adcs[("link", place)] = 1
    for key in [k for k, uses in users.items() if k[0] == "link" and len(uses) < 2]:
        del users[key]  # a port or link only one lane uses never queues
    calendars: dict[tuple[int, tuple[tuple[UserKey, int, float], ...]], Bank] = {}
    holds: dict[UserKey, dict[int, Hold]] = {}
    for key, uses in users.items():
        signature = (adcs[key], tuple(uses))
        calendar = calendars.setdefault(signature, Bank(adcs[key]))
        for user, units, per_wave in uses:
            holds.setdefault(user, {})[id(calendar)] = (calendar, units, per_wave)
    return {user: tuple(booked.values()) for user, booked in holds.items()}


class PipelineSim:
    """One simulation run of `images` images through the plans."""

    def __init__(
        self,
        plans: tuple[LayerPlan, ...],
        images: int,
        watch: Callable[[int, list[float]], bool],
        trace: list[TraceEntry] | None,
    ) -> None:
        self.env = simpy.Environment()
        self.plans = plans
        self.images, self.trace = images, trace
        # the run ends when `watch` says so as an image is out (the images after it only keep
        # the pipeline as busy as a stream that goes on)
        self.watch, self.stopped, self.out = watch, self.env.event(), 0
        self.finish_s = [0.0] * images
        self.resources: dict[object, simpy.PriorityResource] = {}
        self.holds = shared_banks(plans)
        # per layer: the signals of its last stage, the group map into them and the buffer
        # its producing layer (with stages) fills
        self.outputs: list[tuple[Signals | None, tuple[int, ...], int]] = []
        self.buffers: dict[int, Buffer] = {}
        for index, plan in enumerate(plans):
            self.outputs.append(self._build_layer(index, plan))
        self.final = next((s for s, _, _ in reversed(self.outputs) if s is not None), None)
        self.final_done = self.final.done if self.final is not None else []

    def _build_layer(
        self, index: int, plan: LayerPlan
    ) -> tuple[Signals | None, tuple[int, ...], int]:
        source: Signals | None = None
        groups = tuple(range(plan.groups))
        need, origin, feed = plan.need, -1, None
        if plan.producer >= 0:
            source, producer_groups, origin = self.outputs[plan.producer]
            need = tuple(producer_groups[n] if n >= 0 else -1 for n in plan.need)
        if not plan.stages:
            return source, need, origin
        if source is not None and origin >= 0 and min(need) >= 0:
            produced = len(source.done[0])
            buffer = self.buffers.setdefault(origin, Buffer(self.env, 1))
            ahead = produced + sum(stage.lanes for stage in self.plans[origin].stages)
            capacity = buffer_capacity(need, produced, plan.stages[0].lanes, ahead)
            if plan.buffer_groups:  # the eDRAM bounds it, never below one group's window
                least = buffer_capacity(need, produced, 1, 0)
                capacity = max(least, min(capacity, plan.buffer_groups))
            buffer.capacity = max(buffer.capacity, capacity)
            feed = (buffer, need, produced)
        position = 0
        while position < len(plan.stages):
            stage, tail = plan.stages[position], folded_tail(plan.stages, position)
            after = Signals(self.env, self.images, plan.groups)
            for lane in range(stage.lanes):
                link = (index, feed if position == 0 else None, position, tail)
                self.env.process(self._lane(plan, stage, lane, source, need, after, link))
            source, need = after, groups
            position += 1 if tail is None else 2
        return source, groups, index

    def _lane(
        self,
        plan: LayerPlan,
        stage: Stage,
        lane: int,
        source: Signals | None,
        need: tuple[int, ...],
        after: Signals,
        link: tuple[int, Feed | None, int, Stage | None],
    ) -> Generator[simpy.Event, Any, None]:
        env, groups, (index, feed, position, tail) = self.env, plan.groups, link
        tail_free = 0.0
        own = self.buffers.get(index) if position == 0 else None
        holds = self.holds.get((index, position, lane), ())
        tail_holds = self.holds.get((index, position + 1, lane), ()) if tail else ()
        label = f"{plan.name} {stage.name}"
        for order in range(lane, self.images * groups, stage.lanes):
            image, group = divmod(order, groups)
            if source is not None and need[group] >= 0:
                ready = source.wait(image, need[group])
                if ready is not None:
                    yield ready
            room = own.room(order) if own is not None else None
            if room is not None:
                yield room
            if self.trace is not None:
                self.trace.append((env.now, f"{label} img{image} g{group} start"))
            if stage.resource is None:  # the common case, inline
                end = env.now + stage.durations_s[group]
                for bank, units, per_wave in holds:
                    end = max(end, bank.book(env.now, units, stage.waves[group] * per_wave))
                if end > env.now:
                    yield env.timeout(end - env.now)
            else:
                yield from self._hold(stage, image, group)
            if feed is not None:
                self._consume(feed, order)
            if tail is not None:
                if self.trace is not None:
                    self.trace.append((env.now, f"{label} img{image} g{group} end"))
                slot = (tail_free, image, group)
                tail_free = self._tail(tail, tail_holds, slot, after, plan.name)
            else:  # the data arrives delay_s later (a link's latency); the lane is free now
                self._done(after, image, group, label, env.now + stage.delay_s)

    def _tail(
        self,
        tail: Stage,
        holds: tuple[Hold, ...],
        slot: tuple[float, int, int],
        after: Signals,
        name: str,
    ) -> float:
        """Schedule a folded stage's group (image, group) on its lane (free from `free`),
        booking the shared ports and links it sends through from its start; its end."""
        free, image, group = slot
        start = max(self.env.now, free)
        end = start + tail.durations_s[group]
        for bank, units, per_wave in holds:
            end = max(end, bank.book(start, units, tail.waves[group] * per_wave))
        label = f"{name} {tail.name}"
        if self.trace is not None:
            self.trace.append((start, f"{label} img{image} g{group} start"))
        self._done(after, image, group, label, end)
        return end

    def _consume(self, feed: Feed, order: int) -> None:
        """Consumer group `order` is done: free the producer rows no later group reads."""
        buffer, need, producer_groups = feed
        if order != buffer.consumed:  # an earlier group is still at work
            buffer.done.add(order)
            return
        buffer.consumed += 1
        while buffer.consumed in buffer.done:
            buffer.done.discard(buffer.consumed)
            buffer.consumed += 1
        buffer.release(freed_upto(need, producer_groups, buffer.consumed))

    def _hold(self, stage: Stage, image: int, group: int) -> Generator[simpy.Event, Any, None]:
        """A group's time on a shared resource (the CPU, a link direction), oldest image first."""
        key = stage.resource
        if key not in self.resources:
            self.resources[key] = simpy.PriorityResource(self.env, capacity=1)
        with self.resources[key].request(priority=image) as request:
            yield request
            yield self.env.timeout(stage.durations_s[group])

    def _done(self, after: Signals, image: int, group: int, label: str, at: float) -> None:
        """The group's end is known: `at` (now or later)."""
        after.fire(image, group, at)
        if self.trace is not None:
            self.trace.append((at, f"{label} img{image} g{group} end"))
        if at > self.finish_s[image]:
            self.finish_s[image] = at
        if after is self.final and image == self.out and all(after.done[image]):
            self._out()

    def _out(self) -> None:
        """Image `self.out` is out: ask `watch`, then look at the next ones already out."""
        while not self.stopped.triggered:
            if self.watch(self.out, self.finish_s):
                self.stopped.succeed()
            elif self.out + 1 < self.images and all(self.final_done[self.out + 1]):
                self.out += 1
                continue
            else:
                self.out += 1
            return

    def run(self) -> tuple[list[float], int]:
        """Completion time of each image and the number of events SimPy scheduled."""
        self.env.run(until=self.stopped)
        # SimPy numbers every scheduled event from one counter; its next value is the count
        return self.finish_s, next(self.env._eid)
