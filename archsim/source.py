"""Which source tree archsim runs from: recorded with every checkpoint and sweep result."""

import subprocess
from pathlib import Path

_SOURCE_DIR = Path(__file__).resolve().parents[1]  # the checkout holding archsim/


def git_commit(source_dir: Path = _SOURCE_DIR) -> str:
    """The commit of the checkout archsim runs from (`+dirty` if edited), or "unknown"."""
    try:
        head = subprocess.run(
            ["git", "-C", str(source_dir), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(source_dir), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}+dirty" if dirty else head
