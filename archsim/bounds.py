"""The bounds every input of one kind shares, wherever it is given (a CLI option, a spec field,
a checkpoint's metadata): one number per kind, so a value refused in one place is refused in all;
and the readers that keep them for files (size checked before reading, nesting bounded).
"""

import json
import stat
from pathlib import Path
from typing import Any

from archsim.errors import UserError

SEED_BOUND = 2**63  # seeds lie in [0, 2**63): torch.manual_seed takes no larger, numpy no negative
MAX_IMAGE_SIDE = 1024  # pixels a side after padding (`--pad-to`, `input_size`): 1024x1024 is
# already 16,384x the 8x8 digits per image; larger images are not what a crossbar study runs
MAX_LR = 10.0  # a learning rate above this diverges on every net and optimizer archsim trains
MAX_SPARE_COLUMNS = 64  # spare-K: spare columns per crossbar block (a quarter of 256 columns)
MAX_FILE_BYTES = 64 << 20  # a YAML, JSON or CSV input larger than this is refused unread
MAX_NESTING = 64  # levels of nested lists / mappings in a YAML or JSON input


def read_bounded(path: str | Path, what: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file `path`, its size checked before one byte is read (a
    FIFO or device is refused unread); `what` names it in the one-line error."""
    file = Path(path)
    try:
        info = file.stat()
    except OSError as exc:
        raise UserError(f"cannot read {what} {file}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise UserError(f"{what} {file} is not a regular file")
    if info.st_size > limit:
        raise UserError(
            f"{what} {file} is {info.st_size:,} bytes, more than the {limit:,} archsim reads"
        )
    try:
        return file.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {what} {file}: {exc.strerror}") from None


def parse_json(text: str | bytes, source: str) -> Any:
    """JSON from `text`; invalid JSON, or JSON nested more than MAX_NESTING deep, is one
    UserError naming `source` (never a RecursionError)."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise UserError(f"{source}: JSON nested more than {MAX_NESTING} deep") from None
    except ValueError as exc:
        raise UserError(
            f"cannot read {source}: not valid JSON ({str(exc).splitlines()[0]})"
        ) from None
    if _depth(value) > MAX_NESTING:
        raise UserError(f"{source}: JSON nested more than {MAX_NESTING} deep")
    return value


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in `value` (iterative: any depth is safe)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_NESTING:
                children = node.values() if isinstance(node, dict) else node
                stack.extend((child, level + 1) for child in children)
    return deepest
