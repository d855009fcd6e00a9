"""The machine a run shares: its cores, and a warning when it is oversubscribed.

With more runnable threads than cores, torch's OpenMP threads spin against each other: one
measured training epoch took over 12 minutes with two threads on a loaded machine and 53-117 s
with one. The warning goes to logger `archsim.machine` (level WARNING), which the CLI shows on
stderr and the library otherwise keeps quiet.
"""

import logging
import os

log = logging.getLogger(__name__)


def cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def oversubscription(threads: int, load: float, available: int) -> str | None:
    """The warning for a 1-minute load average above the cores, else None."""
    if load <= available:
        return None
    return (
        f"load average {load:.1f} on {available} core(s): the machine is oversubscribed "
        f"and this run ({threads} torch thread(s)) may be far slower than usual; "
        "--threads 1 often helps"
    )


def warn_if_oversubscribed() -> None:
    """Log the oversubscription warning, if the machine is oversubscribed now."""
    import torch

    try:
        load = os.getloadavg()[0]
    except OSError:  # no load average on this platform
        return
    if (warning := oversubscription(torch.get_num_threads(), load, cores())) is not None:
        log.warning("warning: %s", warning)
