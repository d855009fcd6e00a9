"""A chip configuration's fault-tolerance technique: spare columns, then remapping, applied to
a chip's weight faults; and the same technique applied to the fresh fault draws a BatchNorm
recalibration pass runs over.

`apply_technique` is what a tolerance study does to each chip it scores. `ChipTechnique` is
what the BatchNorm rule (`bnsets.choose_bn`) needs to recalibrate a set for chips built with
the technique: the RRAM layers its placement faults and, through `states`, a transform of
each layer's freshly drawn weight faults (`train.stochastic.StochasticFaults`) into the faults
the technique leaves: the draw becomes a one-layer chip, the technique moves its faults as it
would a drawn chip's, and the moved faults are what the forward pass computes with. A layer's
n-th draw of a pass is chip n of the recalibration seed, so spare columns are drawn per draw
from their own seeded stream (`spares.spare_states`), as a tolerance study draws them per chip.
"""

from collections.abc import Callable
from dataclasses import dataclass

from torch import Tensor

from archsim.faults.inject import FaultInjector
from archsim.faults.records import ChipFaults, LayerFaults
from archsim.faults.remap import remap_chip
from archsim.faults.spares import apply_spares

# (layer name, int8 weight-fault states of the layer's weight shape) -> the states a chip
# with the technique holds instead
StatesTransform = Callable[[str, Tensor], Tensor]


def apply_technique(
    injector: FaultInjector, chip: ChipFaults, spare_columns: int, remap: bool
) -> tuple[ChipFaults, float]:
    """`chip` with `spare_columns` spares per block applied, then remapped if `remap`; and the
    seconds remapping took (0 without)."""
    seconds = 0.0
    if spare_columns:
        chip = apply_spares(injector, chip, spare_columns).chip
    if remap:
        remapped = remap_chip(injector, chip)
        chip, seconds = remapped.chip, remapped.seconds
    return chip, seconds


@dataclass(frozen=True, kw_only=True, eq=False)
class ChipTechnique:
    """A technique as the chips a BatchNorm set is recalibrated over would carry it."""

    name: str  # as the tolerance row names it ("remap", "cpu-1x1:spare-1")
    layers: tuple[str, ...]  # the RRAM layers its placement faults
    injector: FaultInjector  # its mapping's sites (blocks) and quantized weights
    spare_columns: int = 0
    remap: bool = False

    def states(self, fault_model: str, rate: float, seed: int) -> StatesTransform:
        """The transform of one recalibration pass at `rate` (draws numbered from 0)."""
        return _TechniqueStates(self, fault_model, rate, seed)


class _TechniqueStates:
    """Each draw of a layer's weight faults as a chip with the technique holds them."""

    def __init__(self, technique: ChipTechnique, fault_model: str, rate: float, seed: int) -> None:
        self.technique = technique
        self.fault_model, self.rate, self.seed = fault_model, rate, seed
        self.draws: dict[str, int] = {}

    def __call__(self, name: str, states: Tensor) -> Tensor:
        number = self.draws.get(name, 0)
        self.draws[name] = number + 1
        t = self.technique
        layer = LayerFaults.from_dense(states.cpu())
        chip = ChipFaults("weight", {name: layer}, self.fault_model, self.rate, self.seed, number)
        moved, _ = apply_technique(t.injector, chip, t.spare_columns, t.remap)
        return moved.layers[name].dense().to(states.device)
