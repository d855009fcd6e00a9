"""What every hardware component offers: area, static power, and costed named actions.

Values come from the hardware description in SI units (J, s, W); asking for an action a
component does not define raises `UnknownActionError`, so a forgotten cost can never be
counted as zero.
"""

import math
from dataclasses import dataclass
from typing import Any

from archsim.config import hwparts


class UnknownActionError(LookupError):
    """A component was asked for an action it does not define (a bug in the caller)."""


@dataclass(frozen=True)
class ActionCost:
    """One named action of one component instance."""

    name: str
    energy_j: float
    latency_s: float
    bits: int | None  # data one action moves; None for actions that are not data transfers
    source: str


@dataclass(frozen=True)
class Component:
    """Costs of ONE instance; how many instances exist is the composer's business."""

    name: str  # qualified, e.g. "ima.adc" or "tile.router"
    power_w: float  # the source's figure at full activity
    area_mm2: float
    leakage_power_w: float  # static power, drawn whether or not the component works
    actions: tuple[ActionCost, ...]
    source: str

    @property
    def action_names(self) -> tuple[str, ...]:
        return tuple(action.name for action in self.actions)

    def action(self, name: str) -> ActionCost:
        for action in self.actions:
            if action.name == name:
                return action
        defined = ", ".join(self.action_names) or "none"
        raise UnknownActionError(f"{self.name} has no action '{name}' (defines: {defined})")

    def energy_j(self, action: str, count: float = 1) -> float:
        """Energy of `count` repetitions of `action`."""
        return self.action(action).energy_j * count

    def latency_s(self, action: str) -> float:
        return self.action(action).latency_s

    def energy_per_bit_j(self, action: str) -> float:
        """Energy of `action` per bit it moves (for transfers and accesses)."""
        cost = self.action(action)
        if cost.bits is None:
            raise UnknownActionError(f"{self.name}.{action} does not move data (no bits)")
        return cost.energy_j / cost.bits

    def actions_for_bits(self, action: str, bits: int) -> int:
        """Whole actions needed to move `bits` bits: a partial word still costs an access."""
        per_action = self.action(action).bits
        if per_action is None:
            raise UnknownActionError(f"{self.name}.{action} does not move data (no bits)")
        return math.ceil(bits / per_action)

    def bandwidth_bps(self, action: str) -> float:
        """Bits per second when `action` repeats back to back."""
        cost = self.action(action)
        if cost.bits is None or cost.latency_s <= 0:
            raise UnknownActionError(f"{self.name}.{action} has no data rate")
        return cost.bits / cost.latency_s


def common_fields(name: str, config: hwparts.Component) -> dict[str, Any]:
    """The `Component` fields of a config block, converted from mW/pJ/ns to W/J/s."""
    return {
        "name": name,
        "power_w": config.power_mw * 1e-3,
        "area_mm2": config.area_mm2,
        "leakage_power_w": config.leakage_mw * 1e-3,
        "actions": tuple(
            ActionCost(
                name=action_name,
                energy_j=action.energy_pj * 1e-12,
                latency_s=action.latency_ns * 1e-9,
                bits=action.bits,
                source=action.source,
            )
            for action_name, action in config.actions.items()
        ),
        "source": config.source,
    }
