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
- `blob-isaac`, `rowline-isaac`, `colline-isaac`: spatially clustered cells (clustered.py),
  4 x 4 blobs and 16-cell row / column line segments, same mix, `rate` the expected fraction
  of faulty cells; `NAME:SIZE` sets the cluster size (`blob-isaac:2` is 2 x 2 blobs).
"""

from dataclasses import replace

from archsim.errors import UserError
from archsim.faults.clustered import ClusterModel
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
    "blob-isaac": ClusterModel(
        "blob-isaac", "cluster", SFT_STUCK_OFF, SFT_STUCK_ON,
        "square blobs of 4 x 4 cells stuck, expected cell rate = rate, same mix", "blob", 4,
    ),
    "rowline-isaac": ClusterModel(
        "rowline-isaac", "cluster", SFT_STUCK_OFF, SFT_STUCK_ON,
        "16-cell row line segments stuck, expected cell rate = rate, same mix", "row-line", 16,
    ),
    "colline-isaac": ClusterModel(
        "colline-isaac", "cluster", SFT_STUCK_OFF, SFT_STUCK_ON,
        "16-cell column line segments stuck, expected cell rate = rate, same mix",
        "column-line", 16,
    ),
    "stuck-on": FaultModel(
        "stuck-on", "weight", 0.0, 1.0, "per weight, every fault stuck-on (reads +-qmax)"
    ),
}  # fmt: skip


def get_fault_model(name: str) -> FaultModel:
    """The preset called `name` (a clustered one as `NAME:SIZE` for another cluster size), or
    a one-line `UserError` listing the presets."""
    base, sep, size = str(name).partition(":")
    preset = PRESETS.get(base)
    if preset is None:
        raise UserError(f"unknown fault model {name!r}; presets: {', '.join(PRESETS)}")
    if not sep:
        return preset
    if not isinstance(preset, ClusterModel) or not size.isdigit() or int(size) < 1:
        raise UserError(
            f"fault model {name!r}: only clustered presets take a size, as "
            "NAME:SIZE with SIZE an integer >= 1 (e.g. blob-isaac:2)"
        )
    text = preset.description.replace(str(preset.size), size.lstrip("0") or "0")
    return replace(preset, name=f"{base}:{int(size)}", size=int(size), description=text)


def takes_size(model: FaultModel) -> bool:
    """Whether the preset is clustered, so `NAME:SIZE` sets its cluster size."""
    return isinstance(model, ClusterModel)
