"""Where a result came from: archsim version, git commit of the source tree, host, time."""

from __future__ import annotations

import platform
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from archsim import __version__

_SOURCE_DIR = Path(__file__).resolve().parents[2]


def git_commit(source_dir: Path = _SOURCE_DIR) -> str:
    """The commit of the checkout archsim runs from (`+dirty` if edited), or "unknown"."""
    try:
        head = subprocess.run(
            ["git", "-C", str(source_dir), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(source_dir), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}+dirty" if dirty else head


@dataclass(frozen=True)
class Provenance:
    archsim_version: str
    git_commit: str
    host: str
    python: str
    created_at: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def current_provenance() -> Provenance:
    return Provenance(
        archsim_version=__version__,
        git_commit=git_commit(),
        host=socket.gethostname(),
        python=platform.python_version(),
        created_at=time.time(),
    )
