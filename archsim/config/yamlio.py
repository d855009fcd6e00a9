"""Strict YAML loading shared by every config file (hardware, sweeps, training specs).

A config file is read with a loader that rejects duplicate keys (plain PyYAML silently keeps
the last one, so a typo'd copy-paste would win unnoticed), may name a `base:` file whose tree
it overrides (deep merge, cycles rejected), and is validated by a pydantic model whose errors
become ONE line: `FILE: key.path: message`.

Hostile input is bounded: a config file over `MAX_FILE_BYTES` is refused unread, a document
whose aliases expand to more than `MAX_EXPANDED_NODES` values (a "billion laughs" bomb) is
refused before anything walks it, and an offending value is quoted in at most a few dozen
characters.
"""

import reprlib
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from archsim.bounds import MAX_NESTING
from archsim.errors import UserError

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ModelT = TypeVar("ModelT", bound=BaseModel)

MAX_FILE_BYTES = 1 << 20  # 1 MiB: the largest shipped config is a few kB
MAX_EXPANDED_NODES = 100_000  # scalars, lists and mappings once every alias is expanded

_QUOTE = reprlib.Repr()
_QUOTE.maxstring = _QUOTE.maxother = 40
_QUOTE.maxlist = _QUOTE.maxdict = 4
_QUOTE.maxlevel = 2


class _DuplicateKey(Exception):
    def __init__(self, key: object, line: int) -> None:
        super().__init__(key, line)
        self.key = key
        self.line = line


class StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """A safe YAML loader that refuses a mapping with the same key twice."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # the base class reports unhashable keys with their position
            if key in seen:
                raise _DuplicateKey(key, key_node.start_mark.line + 1)
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping

    def get_single_node(self) -> yaml.Node | None:
        node: yaml.Node | None = super().get_single_node()
        if node is not None and _expanded_size(node) > MAX_EXPANDED_NODES:
            raise _TooLarge
        return node


class _TooLarge(Exception):
    """A document whose aliases expand to more than MAX_EXPANDED_NODES values."""


class _Shape(Exception):
    """A document that refers to itself (`&a [*a]`) or nests deeper than MAX_NESTING."""


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes `root` has once every alias is expanded; a node shared by aliases is
    counted each time it is used, but visited once (memoised), so a bomb costs no time. A
    node that contains itself (it never finishes expanding) or nesting deeper than
    MAX_NESTING raises `_Shape` before anything is built from the document."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # on the current path from the root: a child here is a cycle
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:  # iterative post-order: a deep document cannot overflow the Python stack
        node, children_done = stack.pop()
        if children_done:
            open_nodes.discard(id(node))
            total = 1 + sum(sizes[id(child)] for child in _children(node))
            sizes[id(node)] = min(total, MAX_EXPANDED_NODES + 1)
            continue
        if id(node) in sizes:
            continue
        if id(node) in open_nodes:
            raise _Shape("an alias refers to a node that contains it")
        open_nodes.add(id(node))
        if len(open_nodes) > MAX_NESTING:
            raise _Shape(f"lists and mappings nest more than {MAX_NESTING} deep")
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def parse_yaml(text: str, source: str) -> dict[str, Any]:
    """Parse YAML text that must hold a mapping; `source` names it in error messages."""
    try:
        # StrictLoader derives from SafeLoader: it never builds arbitrary Python objects.
        data = yaml.load(text, Loader=StrictLoader)
    except _DuplicateKey as exc:
        raise UserError(f"{source}:{exc.line}: duplicate key {quote(exc.key)}") from None
    except _Shape as exc:
        raise UserError(f"{source}: YAML {exc}") from None
    except ValueError as exc:  # an integer of thousands of digits, a bad date or float
        raise UserError(f"{source}: a value cannot be read: {str(exc).split(':')[0]}") from None
    except _TooLarge:
        raise UserError(
            f"{source}: YAML aliases expand to more than {MAX_EXPANDED_NODES:,} "
            "values; write the values out instead"
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = exc.problem or exc.context or "invalid YAML"
        raise UserError(f"{where}: YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{source}: YAML error: {' '.join(str(exc).split())}") from None
    if data is None:
        raise UserError(f"{source}: file is empty")
    if not isinstance(data, dict):
        raise UserError(f"{source}: expected a mapping of keys at the top level")
    return data


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read one YAML file into a dict (no `base:` handling)."""
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES and file.is_file():
            raise UserError(
                f"{file}: {size:,} bytes is too large for a config file "
                f"(at most {MAX_FILE_BYTES:,})"
            )
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{file}: file not found") from None
    except IsADirectoryError:
        raise UserError(f"{file}: is a directory, expected a YAML file") from None
    except UnicodeDecodeError:
        raise UserError(f"{file}: not a UTF-8 text file") from None
    return parse_yaml(text, str(file))


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` on top of `base`: mappings merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        old = merged.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(old, value)
        else:
            merged[key] = value
    return merged


def load_with_base(
    path: str | Path,
    resolve_base: Callable[[str, Path], Path],
    base_key: str = "base",
    own_defaults: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Load `path`, then recursively its `base:` file, and deep-merge the chain.

    `resolve_base(name, referring_file)` turns a base name into a file path (raising
    UserError when it cannot); a file reached twice in one chain is a cycle.
    `own_defaults` sits between the bases and the file itself: values the file gets when it
    does not set them, whatever its bases say (e.g. a variant's `name`).
    """
    chain: list[Path] = []
    layers: list[Mapping[str, Any]] = []
    current = Path(path)
    while True:
        identity = current.resolve()
        if identity in chain:
            names = " -> ".join(p.stem for p in [*chain, identity])
            raise UserError(f"{path}: '{base_key}' chain has a cycle: {names}")
        chain.append(identity)
        data = load_yaml(current)
        base_name = data.pop(base_key, None)
        layers.append(data)
        if len(layers) == 1 and own_defaults:
            layers.append(own_defaults)
        if base_name is None:
            break
        if not isinstance(base_name, str) or not base_name:
            raise UserError(f"{current}: '{base_key}' must be a file or hardware name")
        current = resolve_base(base_name, current)
    merged: dict[str, Any] = {}
    for layer in reversed(layers):
        merged = deep_merge(merged, layer)
    return merged


def validate(model_cls: type[ModelT], data: Any, source: str) -> ModelT:
    """Validate `data` against `model_cls`; any error becomes one `UserError` line."""
    try:
        return model_cls.model_validate(data)
    except ValidationError as exc:
        raise UserError(f"{source}: {describe_errors(model_cls, exc)}") from None


def describe_errors(model_cls: type[BaseModel], exc: ValidationError) -> str:
    """`key.path: message (+N more)` for the most useful of a ValidationError's errors."""
    errors = exc.errors(include_url=False)
    # An unknown key is usually the cause of a neighbouring "missing" error (a typo), so it
    # is the one worth reporting first.
    errors.sort(key=lambda err: err["type"] != "extra_forbidden")
    first = errors[0]
    path = _dotted(first["loc"])
    message = _message(model_cls, first)
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{path}: {message}{more}" if path else f"{message}{more}"


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(model_cls: type[BaseModel], err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model_cls, err["loc"][:-1])
        listing = f" (allowed: {', '.join(allowed)})" if allowed else ""
        return f"unknown key{listing}"
    if kind == "missing":
        return "required key is missing"
    if kind in ("literal_error", "enum"):
        return f"must be {err['ctx']['expected']}, got {quote(err['input'])}"
    message = str(err["msg"]).removeprefix("Value error, ")
    if kind.endswith("_type") or kind in (
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "string_too_short",
    ):
        message += f", got {quote(err['input'])}"
    return message


def quote(value: object) -> str:
    """`repr(value)` cut short: an error line never echoes a huge input."""
    return _QUOTE.repr(value)


def _allowed_keys(model_cls: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """Field names of the (sub)model found by walking `loc` down from `model_cls`."""
    node: Any = model_cls
    for part in loc:
        node = _child_type(node, part)
        if node is None:
            return []
    if isinstance(node, type) and issubclass(node, BaseModel):
        return [info.alias or name for name, info in node.model_fields.items()]
    return []


def _child_type(node: Any, part: int | str) -> Any:
    if isinstance(node, type) and issubclass(node, BaseModel):
        field = node.model_fields.get(str(part))
        return _unwrap(field.annotation) if field is not None else None
    origin = get_origin(node)
    if origin in (dict, Mapping):
        return _unwrap(get_args(node)[-1])
    if origin in (list, tuple):
        return _unwrap(get_args(node)[0])
    return None


def _unwrap(annotation: Any) -> Any:
    """The type inside Optional[...] / Annotated[...], else the annotation itself."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (Union, UnionType):
        inner = [arg for arg in get_args(annotation) if arg is not type(None)]
        return _unwrap(inner[0]) if len(inner) == 1 else annotation
    return annotation
