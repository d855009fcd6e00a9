"""Sweep progress on stderr: a live bar (jobs done / total, ETA) on a terminal, else lines."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def _clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class SweepProgress:
    """`start(total, done)`, `advance(label)` per finished job, `close()`."""

    def __init__(self, stream: TextIO | None = None, enabled: bool = True) -> None:
        self._stream = stream or sys.stderr
        self._enabled = enabled
        self._live = enabled and self._stream.isatty()
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._total = 0
        self._done = 0
        self._skipped = 0
        self._started = time.monotonic()

    def start(self, total: int, already_done: int) -> None:
        self._total, self._done, self._skipped = total, already_done, already_done
        self._started = time.monotonic()
        if not self._enabled:
            return
        if already_done:
            print(f"{already_done} of {total} jobs already in the store", file=self._stream)
        if self._live:
            self._progress = Progress(
                TextColumn("sweep"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("jobs"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                TextColumn("{task.description}"),
                console=Console(file=self._stream),
                transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task("", total=total, completed=already_done)

    def eta_s(self) -> float | None:
        ran = self._done - self._skipped
        if ran == 0:
            return None
        elapsed = time.monotonic() - self._started
        return elapsed / ran * (self._total - self._done)

    def advance(self, label: str) -> None:
        self._done += 1
        if not self._enabled:
            return
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, description=label)
            return
        eta = self.eta_s()
        eta_text = "?" if eta is None else _clock(eta)
        print(
            f"[{self._done}/{self._total}] {label}  ETA {eta_text}", file=self._stream, flush=True
        )

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
