"""Atomic file writes: a reader never sees a half-written file, even after a crash; and locked
read-modify-write updates, so two processes updating one file never lose one's change.
"""

import contextlib
import fcntl
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from archsim.errors import UserError


def give_plain_permissions(path: Path) -> None:
    """mkstemp creates 0600; give `path` the permissions a plain open() would (the umask's)."""
    umask = os.umask(0)
    os.umask(umask)
    path.chmod(0o666 & ~umask)


def refuse_non_regular(target: Path) -> None:
    """A device, FIFO, socket or folder at `target` is never renamed over (UserError)."""
    try:
        mode = target.stat().st_mode
    except (OSError, ValueError):
        return  # nothing there (or nothing readable): the write itself reports a problem
    if not stat.S_ISREG(mode):
        raise UserError(f"{target} is not a regular file; archsim writes only regular files")


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call `write(tmp_path)` on a temporary file beside `path`, then rename it into place."""
    target = Path(path)
    refuse_non_regular(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    give_plain_permissions(tmp)
    try:
        write(tmp)
        os.replace(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, Exception) and not isinstance(exc, UserError) and _full(target):
            # a writer's own error for a full disk (zlib.error from a PDF backend, ...)
            raise UserError(f"cannot write {target}: no space left on the device") from None
        raise
    return target


def _full(target: Path) -> bool:
    """Whether the file system holding `target` has no block left to write."""
    try:
        return os.statvfs(target.parent).f_bavail == 0
    except OSError:
        return False


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


@contextmanager
def locked_update(path: str | Path, what: str) -> Iterator[Path]:
    """Hold an exclusive lock on the existing file `path` while the block reads and rewrites it
    (through `atomic_write`); a second process is refused with one line naming the holder.

    The lock is an `flock` on the file itself, so the kernel drops it when the holder dies and
    no lock file is left behind. The block's atomic write must be its last step: it replaces
    the file's inode, and an update that starts after it locks the new file and reads what the
    holder wrote (one that opened the old file is checked against the current inode and
    retaken on the new one), so no update is lost.
    """
    target = Path(path)
    for _ in range(100):
        try:
            fd = os.open(target, os.O_RDONLY)
        except OSError as exc:
            raise UserError(f"cannot open {what} {target}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = _holder(target)
            raise UserError(
                f"{what} {target} is being updated by {holder}; wait for it to finish"
            ) from None
        try:
            current = os.stat(target).st_ino
        except OSError:
            current = -1
        if current == os.fstat(fd).st_ino:
            break
        os.close(fd)  # replaced between open and lock: lock the file that is there now
    else:
        raise UserError(f"{what} {target} keeps being replaced by another process")
    holder_note = _holder_note(target)
    with contextlib.suppress(OSError):  # a read-only folder: the lock holds, names no one
        holder_note.write_text(f"{os.getpid()}\n", encoding="utf-8")
    try:
        yield target
    finally:
        holder_note.unlink(missing_ok=True)
        os.close(fd)


def _holder_note(target: Path) -> Path:
    return target.parent / f".{target.name}.holder"


def _holder(target: Path) -> str:
    try:
        pid = _holder_note(target).read_text(encoding="utf-8").strip()
    except OSError:
        return "another process"
    return f"process {pid}" if pid.isdigit() else "another process"
