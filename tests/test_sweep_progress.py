"""The sweep's progress line at 80 columns: the count, elapsed time and ETA come first and
whole, the running job's label is cut from the right; the ETA learns per kind of job."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st

from archsim.explore.progress import SweepProgress, status_line

LABEL = "tolerance resnet20 w1.4 dropconnect p=0.3 +recal cpu-1x1 spare-1 rate 0.3 seed 0"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _progress(clock: FakeClock, stream: io.StringIO) -> SweepProgress:
    progress = SweepProgress(stream, clock=clock, width=80)
    progress.start(
        109,
        3,
        pending={"train": 4, "evaluate": 102},
        history=[("train", 60.0), ("evaluate", 2.0)],
        slots=2,
        status=lambda key: "epoch 3/15" if key == "k1" else "",
    )
    return progress


def test_the_line_at_80_columns_keeps_the_count_and_the_eta_whole() -> None:
    clock, stream = FakeClock(), io.StringIO()
    progress = _progress(clock, stream)
    progress.begin("k1", "train", LABEL)
    clock.now = 10.0
    line = progress.line()
    # waiting: 3 trains x 60 s + 102 evaluations x 2 s = 384 s; the running train has
    # 60 - 10 = 50 s left; 434 s over 2 slots = 217 s = 0:03:37
    assert line.startswith("3/109 jobs  0:00:10  ETA 0:03:37  train epoch 3/15 0:00:10 tolerance")
    assert len(line) == 80 and line.endswith("…")
    clock.now = 40.0
    progress.advance("k1", 40.0)
    # the trains now average (60 + 40) / 2 = 50 s: 3 x 50 + 102 x 2 = 354 s / 2 = 177 s
    assert progress.line() == "4/109 jobs  0:00:40  ETA 0:02:57"
    assert stream.getvalue().splitlines() == [
        "3 of 109 jobs already in the store",
        f"[4/109] ETA 0:02:57  train {LABEL}",
    ]
    progress.close()


def test_no_eta_before_any_duration_is_known() -> None:
    progress = SweepProgress(io.StringIO(), clock=FakeClock(), width=80)
    progress.start(5, 0, pending={"train": 5})
    assert progress.line() == "0/5 jobs  0:00:00  ETA ?"


@given(
    width=st.integers(80, 200),
    done=st.integers(0, 9999),
    extra=st.integers(0, 9999),
    elapsed=st.floats(0, 1e6),
    eta=st.floats(0, 1e6) | st.none(),
    label=st.text(min_size=0, max_size=300),
)
def test_at_any_width_from_80_the_head_is_whole(
    width: int, done: int, extra: int, elapsed: float, eta: float | None, label: str
) -> None:
    line = status_line(width, done, done + extra, elapsed, eta, label)
    head = line.split("  ETA ")[0]
    assert head.startswith(f"{done}/{done + extra} jobs  ")
    assert len(line) <= width
    tail = line.split("  ETA ", 1)[1]
    assert tail.split("  ")[0].count(":") == 2 or tail.startswith("?")
