"""The channel-width multiplier: one rounding rule shared by every net in the zoo.

Every channel count `c` of a net (conv outputs, expansion channels, hidden units of fully
connected layers, classifier inputs) becomes `max(1, floor(c * width))`. The floor carries a
tiny epsilon because binary floating point lands just below integers (`0.29 * 100` is
`28.999999999999996`); without it such products would round one channel short, while
`16 * 1.4 = 22.4` must still give 22 as the drop-connect paper's "rounded down" widths do.
"""

import math
from numbers import Real

from archsim.errors import UserError

# Far below any real fractional part of c * width, far above float error for c < 1e6.
_FLOOR_EPSILON = 1e-9
# The widest multiplier accepted: already thousands of times past any studied width (1.0-1.6)
# and past any machine's memory (the registry says how far), while the channel counts it
# gives stay far from overflowing a tensor's size (1e9 did, as a traceback).
MAX_WIDTH = 1000.0


def check_width(width: object) -> float:
    """Return `width` as a float, or raise UserError unless it is a number in (0, MAX_WIDTH]."""
    # numbers.Real admits numpy scalars; bool is an int to Python but never a width.
    if isinstance(width, bool) or not isinstance(width, Real):
        raise UserError(f"width must be a number > 0, got {width!r}")
    value = float(width)
    if not math.isfinite(value) or value <= 0:
        raise UserError(f"width must be a finite number > 0, got {width!r}")
    if value > MAX_WIDTH:
        raise UserError(
            f"width must be at most {MAX_WIDTH:g} (a channel multiplier), got {width!r}"
        )
    return value


def scale(channels: int, width: float) -> int:
    """Channels after the width multiplier: `max(1, floor(channels * width))`."""
    return max(1, math.floor(channels * width + _FLOOR_EPSILON))
