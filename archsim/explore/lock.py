"""One sweep at a time per output folder: an exclusive lock on `OUT/.archsim.lock`.

Two `archsim pareto` runs on one folder would both run every job the store lacks; the second
is refused with one line naming the holder. The lock is an `flock`, so the kernel releases it
when its holder dies, even by kill -9: a crashed sweep never leaves a folder locked.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from archsim.errors import UserError

LOCK_NAME = ".archsim.lock"


@contextmanager
def folder_lock(folder: Path) -> Iterator[Path]:
    """Hold the lock of `folder` (which must exist) for the `with` block, or raise UserError."""
    path = folder / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise UserError(f"cannot write to output folder {folder}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
            raise UserError(
                f"{folder} is in use by a sweep running in process {holder}; wait for it to "
                "finish or give another --out"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the lock
