"""Package attributes imported from their submodules on first use (PEP 562).

`archsim.api` and `archsim.perf` export names whose modules pull in torch or SimPy; a package
that lists where each name lives (`homes`: name -> submodule) and sets
`__getattr__, __dir__ = lazy_exports(__name__, homes)` stays cheap to import, so the CLI can
read a light submodule (the estimator registry, say) without loading the heavy ones.
"""

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The `__getattr__` and `__dir__` of `package`, resolving each name in `homes` from
    `package.<homes[name]>` when first asked for."""

    def getattr_(name: str) -> Any:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{homes[name]}"), name)

    def dir_() -> list[str]:
        return sorted({*vars(sys.modules[package]), *homes})

    return getattr_, dir_
