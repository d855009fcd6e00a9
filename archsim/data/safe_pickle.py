"""Unpickling that can rebuild numpy arrays and plain containers and nothing else.

The CIFAR batches are pickled dicts of numpy arrays, lists and bytes. A pickle names the
callables it needs to rebuild objects, and the standard unpickler imports and calls whatever
is named, so a doctored batch could run `os.system`. This unpickler resolves only the few
numpy reconstruction functions such files name (under both numpy 1 and numpy 2 module
names) and refuses every other global, before anything is called.
"""

import codecs
import importlib
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

from archsim.errors import UserError


def _numpy_core(module: str, name: str) -> Callable[[], Any]:
    """Resolve `name` from numpy 2's `numpy._core.<module>` or numpy 1's `numpy.core.<module>`."""

    def resolve() -> Any:
        try:
            found = importlib.import_module(f"numpy._core.{module}")
        except ImportError:  # numpy < 2
            found = importlib.import_module(f"numpy.core.{module}")
        return getattr(found, name)

    return resolve


def _latin1_encode(text: str, encoding: str = "latin1") -> bytes:
    """What protocol-2 pickles written by Python 3 call to rebuild `bytes`, limited to the one
    codec they use (a general `codecs.encode` could invoke any registered codec)."""
    if codecs.lookup(encoding).name != "iso8859-1":
        raise pickle.UnpicklingError(f"refusing to decode bytes with codec {encoding!r}")
    return text.encode("latin1")


def _numpy_attribute(name: str) -> Callable[[], Any]:
    return lambda: getattr(importlib.import_module("numpy"), name)


_ALLOWED: dict[tuple[str, str], Callable[[], Any]] = {
    **{
        (f"{package}.multiarray", function): _numpy_core("multiarray", function)
        for package in ("numpy.core", "numpy._core")
        for function in ("_reconstruct", "scalar")
    },
    **{
        (f"{package}.numeric", "_frombuffer"): _numpy_core("numeric", "_frombuffer")
        for package in ("numpy.core", "numpy._core")
    },
    ("numpy", "ndarray"): _numpy_attribute("ndarray"),
    ("numpy", "dtype"): _numpy_attribute("dtype"),
    ("_codecs", "encode"): lambda: _latin1_encode,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler whose `find_class` knows only the numpy reconstruction helpers."""

    def find_class(self, module: str, name: str) -> Any:
        resolve = _ALLOWED.get((module, name))
        if resolve is None:
            raise pickle.UnpicklingError(f"it refers to {module}.{name}, which is not allowed")
        return resolve()


def load_pickle(path: Path) -> Any:
    """Unpickle a data file safely. Python 2 strings come back as bytes (the CIFAR files were
    written by Python 2). Anything unreadable or disallowed is a one-line UserError."""
    try:
        with path.open("rb") as stream:
            return RestrictedUnpickler(stream, encoding="bytes").load()
    except OSError:
        raise  # an unreadable path, reported as such by the caller
    except Exception as exc:  # only allowed, harmless callables ran: the file's content is bad
        reason = str(exc).replace("\n", " ") or type(exc).__name__
        raise UserError(f"{path} is not a safe, readable data pickle: {reason}") from None
