"""User networks: `path/to/file.py:factory` or `package.module:factory` wherever a zoo name goes.

The factory is any callable returning an `nn.Module`. Its keyword parameters are the net's
options (`--option KEY=VALUE`, defaults from the signature); `width`, `num_classes` and
`in_channels` are passed when it takes them. A factory without a `width` parameter builds one
size only: any width but 1 is an error. One that takes no `num_classes` / `in_channels` must
already fit the dataset. The usual input shape is the factory's `input_shape` attribute, else
the file's `INPUT_SHAPE`, else the default dataset's (digits, 1x8x8).

The canonical name is the file's absolute path (or the module name) and the factory, so a
checkpoint records where its net came from; `source_digest` hashes the file so a trained
run is recognised as stale when the code changes. Weights keep the factory's own
initialisation, drawn under the build seed.
"""

import hashlib
import importlib
import importlib.util
import inspect
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from torch import nn

from archsim.errors import UserError

PASSED = ("width", "num_classes", "in_channels")
DEFAULT_SHAPE = (1, 8, 8)  # the default dataset's (digits)


def first_line(exc: BaseException) -> str:
    """'TypeError: message', the message cut at its first line (errors are one line)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def is_user_spec(name: object) -> bool:
    return isinstance(name, str) and ":" in name


@dataclass(frozen=True)
class UserNet:
    name: str  # canonical: /abs/file.py:factory or package.module:factory
    factory: Callable[..., nn.Module]
    options: dict[str, object]  # keyword parameters and their defaults
    takes: frozenset[str]  # which of width, num_classes, in_channels it accepts
    input_shape: tuple[int, int, int]
    description: str
    source_digest: str


def _import_file(path: Path) -> ModuleType:
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    module_name = f"archsim_user_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise UserError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look modules up by name
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # the user's code: any failure is one line,
        sys.modules.pop(module_name, None)  # and so is a sys.exit() at import
        raise UserError(f"importing {path} failed: {first_line(exc)}") from None
    return module


def _is_file(where: str) -> bool:
    return where.endswith(".py") or "/" in where


def source_digest(text: str) -> str:
    """The SHA-256 of the source of user model `text` ('file.py:factory' or 'module:factory'),
    read without running it (a module is found, not imported; its parent packages are)."""
    where = text.strip().rpartition(":")[0]
    if _is_file(where):
        path = Path(where).expanduser()
        if not path.is_file():
            raise UserError(f"model file {where} does not exist")
        return hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        spec = importlib.util.find_spec(where)
    except (ImportError, ValueError) as exc:
        raise UserError(f"cannot find module {where}: {exc}") from None
    if spec is None:
        raise UserError(f"cannot find module {where}")
    origin = spec.origin if spec.origin and Path(spec.origin).is_file() else None
    return hashlib.sha256(Path(origin).read_bytes() if origin else where.encode()).hexdigest()


def _load(where: str) -> tuple[str, ModuleType, str]:
    """(canonical location, module, source digest) of `where` (a .py path or a module)."""
    if _is_file(where):
        path = Path(where).expanduser().resolve()
        if not path.is_file():
            raise UserError(f"model file {where} does not exist")
        return str(path), _import_file(path), hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        module = importlib.import_module(where)
    except ImportError as exc:
        raise UserError(f"cannot import module {where}: {exc}") from None
    file = getattr(module, "__file__", None)  # a built-in module (builtins, sys) has none
    source = Path(file).read_bytes() if file else where.encode()
    return where, module, hashlib.sha256(source).hexdigest()


def _shape(factory: object, module: ModuleType, name: str) -> tuple[int, int, int]:
    declared = getattr(factory, "input_shape", None) or getattr(module, "INPUT_SHAPE", None)
    if declared is None:
        return DEFAULT_SHAPE
    shape = tuple(declared)
    if len(shape) != 3 or not all(isinstance(d, int) and d > 0 for d in shape):
        raise UserError(f"{name}: input_shape must be 3 positive integers (C, H, W), got "
                        f"{declared!r}")  # fmt: skip
    channels, height, width = shape
    return channels, height, width


def load_user_net(text: str) -> UserNet:
    """The factory named by `text` ('file.py:factory' or 'module:factory'), inspected."""
    where, _, attr = text.strip().rpartition(":")
    if not where or not re.fullmatch(r"[A-Za-z_]\w*", attr):
        raise UserError(f"a user model must look like path/to/file.py:factory or "
                        f"module:factory, got {text!r}")  # fmt: skip
    location, module, digest = _load(where)
    name = f"{location}:{attr}"
    factory = getattr(module, attr, None)
    if not callable(factory):
        found = sorted(
            n
            for n, v in vars(module).items()
            if callable(v)
            and not n.startswith("_")
            and getattr(v, "__module__", None) == module.__name__
        )
        raise UserError(f"{where} has no callable {attr!r}; it defines: "
                        f"{', '.join(found) or 'nothing callable'}")  # fmt: skip
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # a built-in without a readable signature
        raise UserError(f"{name} is not a model factory: its parameters cannot be read") from None
    keywords = {p.name: p.default for p in params
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}  # fmt: skip
    required = [n for n, d in keywords.items() if d is inspect.Parameter.empty and n not in PASSED]
    if required:
        raise UserError(f"{name}: every option needs a default, {required[0]!r} has none")
    doc = (inspect.getdoc(factory) or "").strip().splitlines()
    return UserNet(
        name=name,
        factory=factory,
        options={k: v for k, v in keywords.items() if k not in PASSED},
        takes=frozenset(k for k in PASSED if k in keywords),
        input_shape=_shape(factory, module, name),
        description=f"user model {name}" + (f": {doc[0]}" if doc else ""),
        source_digest=digest,
    )


def build_user_net(
    net: UserNet, width: float, num_classes: int, in_channels: int, options: dict[str, object]
) -> nn.Module:
    if "width" not in net.takes and width != 1.0:
        raise UserError(f"{net.name} takes no width argument, so it cannot be scaled to width "
                        f"{width:g}; use width 1 or add a width parameter")  # fmt: skip
    passed = {"width": width, "num_classes": num_classes, "in_channels": in_channels}
    kwargs = {k: v for k, v in passed.items() if k in net.takes}
    try:
        model = net.factory(**kwargs, **options)
    except (Exception, SystemExit) as exc:  # the user's code (`builtins:exit` raises SystemExit)
        call = ", ".join(f"{k}={v!r}" for k, v in {**kwargs, **options}.items())
        raise UserError(f"{net.name}({call}) failed: {first_line(exc)}") from None
    if not isinstance(model, nn.Module):
        raise UserError(f"{net.name} returned {type(model).__name__}, not a torch nn.Module")
    if next(iter(model.parameters()), None) is None:
        raise UserError(f"{net.name} returned a {type(model).__name__} without parameters: "
                        "there are no weights to train or to map onto crossbars")  # fmt: skip
    return model


def source_stamp(text: str) -> tuple[int, int]:
    """(mtime, size) of a user model's file, (0, 0) for a module: a cache key that changes
    when the file is edited."""
    where = text.strip().rpartition(":")[0]
    if not _is_file(where):
        return (0, 0)
    try:
        stat = Path(where).expanduser().stat()
    except OSError:
        return (0, 0)  # load_user_net reports the missing file
    return (stat.st_mtime_ns, stat.st_size)


def path_label(name: str) -> str:
    """A file-name-safe label of a user net: 'file-factory' ('pkg.mod-factory')."""
    where, _, attr = name.rpartition(":")
    stem = Path(where).stem if where.endswith(".py") else where
    return re.sub(r"[^\w.-]", "_", f"{stem}-{attr}")
