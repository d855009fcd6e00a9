"""The fault-model interface: where faults fall (granularity) and what they do (the mix).

Physical cell states: stuck-off = stuck at high resistance,
conductance 0; stuck-on = stuck at low resistance, the maximum conductance. A fault map stores
one int8 state per faultable unit (a weight, or a cell): OK, STUCK_OFF or STUCK_ON.

Granularities, each a registered mechanism (`mechanisms.py`) in its own module:
- `weight` / `cell` (`independent.py`): each weight / each mapped crossbar cell independently
  faulty with probability `rate`; a stuck-off weight reads 0, a stuck-on one the largest
  magnitude the layer's quantization represents (sign kept, a zero weight counts as positive);
  a faulty cell's weight is rebuilt from its bit slices under the crossbar's encoding
  (`effects.py`). Both papers simulate weight faults.
- `row` / `column` (`lines.py`): a whole physical crossbar row (word line) or column (bit
  line) is stuck; `rate` is the fraction of the used crossbars' rows / columns.
- `cluster` (`clustered.py`): cells faulty in clusters within a crossbar (row or column line
  segments, square blobs) of a size parameter; `rate` is the expected fraction of faulty
  cells, as for `cell`.
"""

import math
from dataclasses import dataclass

from archsim.errors import UserError

OK, STUCK_OFF, STUCK_ON = 0, 1, 2


@dataclass(frozen=True)
class FaultModel:
    """A seeded stuck-at fault model: granularity plus the stuck-off : stuck-on mix.

    The granularity names a registered mechanism (`mechanisms.get_mechanism` checks it when
    chips are drawn or faults sampled)."""

    name: str
    granularity: str
    stuck_off: float = 1.0  # relative share of stuck-off faults in the mix
    stuck_on: float = 0.0  # relative share of stuck-on faults
    description: str = ""

    def __post_init__(self) -> None:
        parts = (self.stuck_off, self.stuck_on)
        if any(not math.isfinite(p) or p < 0 for p in parts) or sum(parts) <= 0:
            raise UserError(
                f"stuck-off : stuck-on mix must be non-negative and not both 0, got "
                f"{self.stuck_off} : {self.stuck_on}"
            )

    @property
    def p_on(self) -> float:
        """Probability that a faulty unit is stuck-on rather than stuck-off."""
        return self.stuck_on / (self.stuck_off + self.stuck_on)


def check_rate(rate: float | str) -> float:
    """A fault rate as a float in [0, 1], or a one-line `UserError`."""
    try:
        value = float(rate)
    except (TypeError, ValueError):
        raise UserError(f"fault rate must be a number in [0, 1], got {rate!r}") from None
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise UserError(f"fault rate must be in [0, 1], got {rate}")
    return value
