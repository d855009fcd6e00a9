"""Sweep progress on stderr: one line that reads at 80 columns and wider (a live line on a
terminal, else one printed line per finished job).

The line is `done/total jobs  elapsed  ETA h:mm:ss  running-job` in that order, so a narrow
terminal cuts the running job's label from the right and never the count or the ETA. The ETA
learns per kind of job: each remaining job is expected to take the mean time of the finished
jobs of its kind (this run's and those already in the store), a running one what is left of
that mean, and the total is shared between the executor's slots."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import TextIO

from rich.console import Console, RenderableType
from rich.live import Live
from rich.text import Text

Clock = Callable[[], float]
Status = Callable[[str], str]  # a running job's key -> what it says it is doing


def clock_text(seconds: float | None) -> str:
    """`h:mm:ss`, or `?` for an unknown time."""
    if seconds is None:
        return "?"
    whole = max(0, round(seconds))
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def status_line(
    width: int, done: int, total: int, elapsed: float, eta: float | None, running: str
) -> str:
    """The progress line cut to `width` columns: the count, elapsed and ETA first and whole,
    then as much of the running job's label as fits (cut from the right, marked `…`)."""
    head = f"{done}/{total} jobs  {clock_text(elapsed)}  ETA {clock_text(eta)}"
    if not running:
        return head[:width]
    room = width - len(head) - 2
    if room <= 1:
        return head[:width]
    label = running if len(running) <= room else running[: room - 1] + "…"
    return f"{head}  {label}"


class JobClock:
    """Finished jobs' durations by kind, and the jobs still to come (running or waiting)."""

    def __init__(self, pending: Mapping[str, int], slots: int) -> None:
        self.pending: Counter[str] = Counter(pending)  # kind -> jobs not yet finished
        self.seconds: dict[str, list[float]] = {}
        self.running: dict[str, tuple[str, float, str]] = {}  # key -> kind, start, label
        self.slots = max(1, slots)

    def learn(self, kind: str, seconds: float) -> None:
        self.seconds.setdefault(kind, []).append(seconds)

    def mean(self, kind: str) -> float | None:
        mine = self.seconds.get(kind)
        if mine:
            return sum(mine) / len(mine)
        every = [s for values in self.seconds.values() for s in values]
        return sum(every) / len(every) if every else None

    def eta(self, now: float) -> float | None:
        """Seconds until every pending job is done (None before any duration is known)."""
        total = 0.0
        starting = Counter(kind for kind, _, _ in self.running.values())
        for kind, count in self.pending.items():
            mean = self.mean(kind)
            if count and mean is None:
                return None
            if mean is None:
                continue
            total += mean * (count - starting[kind])
        for kind, start, _ in self.running.values():
            mean = self.mean(kind)
            total += max(0.0, (mean or 0.0) - (now - start))
        return total / self.slots


class SweepProgress:
    """`start(...)`, `begin(key, kind, label)` when a job is handed out, `advance(key)` when
    it finished, `close()`. `width`: the line's columns (default: the terminal's)."""

    def __init__(
        self,
        stream: TextIO | None = None,
        enabled: bool = True,
        *,
        clock: Clock = time.monotonic,
        width: int | None = None,
    ) -> None:
        self._stream = stream or sys.stderr
        self._enabled = enabled
        self._clock = clock
        self._console = Console(file=self._stream, width=width, highlight=False)
        self._live_wanted = enabled and self._console.is_terminal
        self._live: Live | None = None
        self._jobs = JobClock({}, 1)
        self._total = self._done = 0
        self._status: Status | None = None
        self._started = clock()

    def start(
        self,
        total: int,
        already_done: int,
        pending: Mapping[str, int] | None = None,
        history: Iterable[tuple[str, float]] = (),
        slots: int = 1,
        status: Status | None = None,
    ) -> None:
        """`pending`: kind -> jobs to run; `history`: (kind, seconds) of finished jobs;
        `status`: what a running job says it is doing (its epoch)."""
        self._total, self._done = total, already_done
        self._status = status
        self._started = self._clock()
        self._jobs = JobClock(pending or {}, slots)
        for kind, seconds in history:
            self._jobs.learn(kind, seconds)
        if not self._enabled:
            return
        if already_done:
            print(f"{already_done} of {total} jobs already in the store", file=self._stream)
        if self._live_wanted:
            self._live = Live(
                get_renderable=self.render, console=self._console, refresh_per_second=2
            )
            self._live.start()

    def line(self) -> str:
        """The progress line at the console's width."""
        now = self._clock()
        running = sorted(self._jobs.running.items(), key=lambda r: r[1][1])
        label = ""
        if running:
            key, (kind, start, name) = running[0]
            said = self._status(key) if self._status is not None else ""
            more = f" (+{len(running) - 1} more)" if len(running) > 1 else ""
            label = " ".join(t for t in (kind, said, clock_text(now - start), name + more) if t)
        return status_line(
            self._console.width,
            self._done,
            self._total,
            now - self._started,
            self._jobs.eta(now),
            label,
        )

    def render(self) -> RenderableType:
        return Text(self.line(), no_wrap=True, overflow="crop")

    def begin(self, key: str, kind: str, label: str) -> None:
        self._jobs.running[key] = (kind, self._clock(), label)

    def advance(self, key: str, seconds: float | None = None) -> None:
        """Job `key` finished, in `seconds` (default: since `begin`)."""
        self._done += 1
        kind, start, label = self._jobs.running.pop(key, ("job", self._clock(), key))
        self._jobs.learn(kind, self._clock() - start if seconds is None else seconds)
        self._jobs.pending[kind] -= 1
        if not self._enabled:
            return
        if self._live is not None:
            self._live.refresh()
            return
        eta = self._jobs.eta(self._clock())
        print(
            f"[{self._done}/{self._total}] ETA {clock_text(eta)}  {kind} {label}",
            file=self._stream,
            flush=True,
        )

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
