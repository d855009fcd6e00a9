"""Where a result came from: archsim version, git commit of the source tree, host, time."""

from __future__ import annotations

import platform
import socket
import time
from dataclasses import dataclass

from archsim import __version__
from archsim.source import git_commit


@dataclass(frozen=True)
class Provenance:
    archsim_version: str
    git_commit: str
    host: str
    python: str
    created_at: float


def current_provenance() -> Provenance:
    return Provenance(
        archsim_version=__version__,
        git_commit=git_commit(),
        host=socket.gethostname(),
        python=platform.python_version(),
        created_at=time.time(),
    )
