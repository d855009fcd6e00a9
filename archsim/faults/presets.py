"""Named fault models, so the papers' conventions are one word on the command line.

- `dropconnect`: the drop-connect paper (VTS 2024) calls its fault "SA1" and has it force the
  weight to 0; per weight, as their simulator did. Here: weight granularity, stuck-off only.
- `sft`: the stochastic fault-tolerant training paper, stuck-off : stuck-on = 1.75 : 9.04 (its
  Section IV, after Chen et al.'s march-test defect statistics), per weight.
- `cell-isaac`: the same mix drawn on the mapped crossbar cells (ISAAC: 16-bit weights in
  eight 2-bit cells), so encoding and bit slices decide each fault's harm.
- `row-isaac` / `column-isaac`: clustered faults, whole crossbar rows / columns stuck, same mix.
- `stuck-on`: every faulty weight stuck-on (driven to +-max of its layer), per weight: the
  harmful half of the `sft` mix alone (`dropconnect` is the other half, stuck-off alone).
"""

from archsim.errors import UserError
from archsim.faults.models import FaultModel

SFT_STUCK_OFF, SFT_STUCK_ON = 1.75, 9.04

PRESETS: dict[str, FaultModel] = {
    "dropconnect": FaultModel(
        "dropconnect", "weight", 1.0, 0.0, "faulty weights read 0 (drop-connect paper's SA1)"
    ),
    "sft": FaultModel(
        "sft", "weight", SFT_STUCK_OFF, SFT_STUCK_ON,
        "per weight, stuck-off : stuck-on = 1.75 : 9.04 (stochastic training paper)",
    ),
    "cell-isaac": FaultModel(
        "cell-isaac", "cell", SFT_STUCK_OFF, SFT_STUCK_ON,
        "per mapped crossbar cell, stuck-off : stuck-on = 1.75 : 9.04",
    ),
    "row-isaac": FaultModel(
        "row-isaac", "row", SFT_STUCK_OFF, SFT_STUCK_ON,
        "whole crossbar rows stuck, stuck-off : stuck-on = 1.75 : 9.04",
    ),
    "column-isaac": FaultModel(
        "column-isaac", "column", SFT_STUCK_OFF, SFT_STUCK_ON,
        "whole crossbar columns stuck, stuck-off : stuck-on = 1.75 : 9.04",
    ),
    "stuck-on": FaultModel(
        "stuck-on", "weight", 0.0, 1.0, "per weight, every faulty weight stuck-on (+-max|w|)"
    ),
}


def get_fault_model(name: str) -> FaultModel:
    """The preset called `name`, or a one-line `UserError` listing the presets."""
    try:
        return PRESETS[name]
    except KeyError:
        raise UserError(
            f"unknown fault model {name!r}; presets: {', '.join(PRESETS)}"
        ) from None
