"""The idx file format of MNIST and Fashion-MNIST, read with numpy, plain or gzip-compressed.

An idx file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions),
one big-endian uint32 per dimension, then the values in row-major order, big-endian. Anything
else (wrong magic, a short file, a broken gzip stream, trailing bytes) is a UserError naming
the file, because it means the user's copy is corrupt or is not an idx file at all.
"""

import gzip
import math
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

import numpy as np

from archsim.errors import UserError

T = TypeVar("T")

# No dataset archsim reads is near this; a header claiming more is corrupt (and reading it
# would try to allocate that much).
MAX_DATA_BYTES = 1 << 32

# type code -> big-endian numpy dtype (from the format's specification, LeCun et al.)
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _open(path: Path) -> BinaryIO:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _read_exact(stream: BinaryIO, size: int, path: Path, what: str) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise UserError(f"{path} is truncated: expected {size} bytes of {what}, found {len(data)}")
    return data


def _header(stream: BinaryIO, path: Path) -> tuple[np.dtype, tuple[int, ...]]:
    magic = _read_exact(stream, 4, path, "idx header")
    zeros, code, ndim = struct.unpack(">HBB", magic)
    if zeros != 0 or code not in IDX_DTYPES or ndim == 0:
        raise UserError(f"{path} is not an idx file (magic number 0x{magic.hex()})")
    shape = struct.unpack(f">{ndim}I", _read_exact(stream, 4 * ndim, path, "idx header"))
    dtype = IDX_DTYPES[code]
    declared = _data_bytes(dtype, shape)
    if declared > MAX_DATA_BYTES:
        raise UserError(
            f"{path} is corrupt: its header declares a {'x'.join(map(str, shape))} "
            f"array ({declared:,} bytes)"
        )
    return dtype, shape


def _data_bytes(dtype: np.dtype, shape: tuple[int, ...]) -> int:
    return math.prod(shape) * dtype.itemsize


def _stored_bytes(path: Path) -> int:
    """Bytes of the file once uncompressed: its size, or a gzip stream's ISIZE trailer (the
    uncompressed length modulo 2**32, exact for every idx file archsim reads)."""
    size = path.stat().st_size
    if path.suffix != ".gz":
        return size
    with path.open("rb") as stream:
        stream.seek(max(0, size - 4))
        trailer = stream.read(4)
    return int.from_bytes(trailer, "little") if len(trailer) == 4 else 0


def _guarded(path: Path, action: Callable[[], T]) -> T:
    """Run `action`, turning the ways a compressed or unreadable file fails into a UserError."""
    try:
        return action()
    except (gzip.BadGzipFile, zlib.error, EOFError) as exc:
        raise UserError(f"{path} is corrupt: {exc or 'compressed stream ends early'}") from None


def read_idx_header(path: Path) -> tuple[np.dtype, tuple[int, ...]]:
    """(dtype, shape) of an idx file, reading only its header; a file shorter or longer than
    its header says (a truncated download) is a UserError, found without reading the data."""

    def action() -> tuple[np.dtype, tuple[int, ...]]:
        with _open(path) as stream:
            dtype, shape = _header(stream, path)
        expected = 4 + 4 * len(shape) + _data_bytes(dtype, shape)
        found = _stored_bytes(path)
        if found != expected % (1 << 32 if path.suffix == ".gz" else 1 << 64):
            raise UserError(
                f"{path} is truncated or corrupt: its header declares "
                f"{expected:,} bytes, the file holds {found:,}"
            )
        return dtype, shape

    return _guarded(path, action)


def read_idx(path: Path, limit: int | None = None) -> np.ndarray:
    """The array in an idx file in native byte order; with `limit`, only its first `limit`
    entries along the first axis are read (and only they are checked for truncation)."""

    def action() -> np.ndarray:
        with _open(path) as stream:
            dtype, shape = _header(stream, path)
            count = shape[0] if limit is None else min(limit, shape[0])
            row = int(np.prod(shape[1:], dtype=np.int64)) * dtype.itemsize
            data = _read_exact(stream, count * row, path, f"data for {count} entries")
            if limit is None and stream.read(1):
                raise UserError(f"{path} has bytes after the {shape} array its header declares")
        values = np.frombuffer(data, dtype=dtype).reshape((count, *shape[1:]))
        return values.astype(dtype.newbyteorder("="))  # a writable copy in native order

    return _guarded(path, action)
