"""Atomic writes leave either the old file or the new one, never a partial one."""

from pathlib import Path

import pytest

from archsim.atomic import atomic_write, atomic_write_text


def test_write_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.txt"
    atomic_write_text(target, "first")
    atomic_write_text(target, "second")
    assert target.read_text() == "second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.txt"]


def test_failed_write_keeps_old_content_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")

    def half_then_crash(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, half_then_crash)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_result_has_the_permissions_of_a_plainly_opened_file(tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    target = atomic_write_text(tmp_path / "atomic.txt", "x")
    assert target.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777


def test_a_writer_failing_on_a_full_disk_is_one_user_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PDF backend reports a full disk as zlib.error, not OSError: any writer's failure on a
    file system with no block left is one line, and nothing is left behind."""
    import os
    import zlib

    from archsim.errors import UserError

    target = tmp_path / "report.pdf"
    target.write_text("old")

    class Full:
        f_bavail = 0

    def compress_fails(tmp: Path) -> None:
        tmp.write_bytes(b"%PDF half")
        raise zlib.error("Error -3 while compressing data")

    monkeypatch.setattr(os, "statvfs", lambda _path: Full())
    with pytest.raises(UserError, match="no space left on the device"):
        atomic_write(target, compress_fails)
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]
    with pytest.raises(zlib.error):  # with room left, a writer's bug keeps its traceback
        atomic_write(target, compress_fails)


def test_a_device_or_fifo_is_never_renamed_over(tmp_path: Path) -> None:
    """The last line of defence behind the CLI's checks: whatever path reaches the writer."""
    import os

    from archsim.errors import UserError

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for target in (fifo, Path("/dev/full"), tmp_path):
        with pytest.raises(UserError, match="not a regular file"):
            atomic_write_text(target, "x")
    assert fifo.is_fifo() and sorted(p.name for p in tmp_path.iterdir()) == ["fifo"]
