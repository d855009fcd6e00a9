"""What every hardware component offers: area, static power, and costed named actions.

Values come from the hardware description in SI units (J, s, W); asking for an action a
component does not define raises `UnknownActionError`, so a forgotten cost can never be
counted as zero. An action is named by an `ActionRef` constant of its component's module
(`archsim/hw/adc.py`'s `CONVERSION`), so the plans and the cost table spell no action name.
"""

from dataclasses import dataclass

from archsim.config import hwparts


@dataclass(frozen=True)
class ActionRef:
    """One action of one component, as the plans count it and the cost table prices it.

    `per_bit`: the plans count the bits the action moves (an eDRAM access moves a 256-bit
    word; the plans count bits), so it is priced per bit and keyed `component/bit`; else per
    action, keyed `component/action`. `per_inference` False marks an action no inference
    performs (none of the shipped components has one); the registry test requires every other
    action to be counted by some plan.
    """

    component: str  # qualified component name, e.g. "ima.adc"
    action: str  # the action's name in the component's YAML block
    per_bit: bool = False
    per_inference: bool = True

    @property
    def key(self) -> str:
        """The cost-table and plan key: "ima.adc/conversion", "tile.edram/bit"."""
        return f"{self.component}/{'bit' if self.per_bit else self.action}"


def _name(action: str | ActionRef) -> str:
    return action.action if isinstance(action, ActionRef) else action


class UnknownActionError(LookupError):
    """A component was asked for an action it does not define (a bug in the caller)."""


@dataclass(frozen=True, kw_only=True)
class ActionCost:
    """One named action of one component instance."""

    name: str
    energy_j: float
    latency_s: float
    bits: int | None  # data one action moves; None for actions that are not data transfers
    source: str


@dataclass(frozen=True, kw_only=True)
class Datasheet:
    """The figures every component has, in SI units, read from its config block."""

    name: str  # qualified, e.g. "ima.adc" or "tile.router"
    power_w: float  # the source's figure at full activity
    area_mm2: float
    leakage_power_w: float  # static power, drawn whether or not the component works
    actions: tuple[ActionCost, ...]
    source: str

    @classmethod
    def of(cls, name: str, config: hwparts.ComponentBlock) -> "Datasheet":
        """The datasheet of a config block, converted from mW/pJ/ns to W/J/s."""
        return cls(
            name=name,
            power_w=config.power_mw * 1e-3,
            area_mm2=config.area_mm2,
            leakage_power_w=config.leakage_mw * 1e-3,
            actions=tuple(
                ActionCost(
                    name=action_name,
                    energy_j=action.energy_pj * 1e-12,
                    latency_s=action.latency_ns * 1e-9,
                    bits=action.bits,
                    source=action.source,
                )
                for action_name, action in config.actions.items()
            ),
            source=config.source,
        )


@dataclass(frozen=True, kw_only=True)
class Component:
    """Costs of ONE instance; how many instances exist is the composer's business.

    A subclass adds its own fields: `Adc(sheet=Datasheet.of(ADC.name, block), bits=...)`.
    """

    sheet: Datasheet

    @property
    def name(self) -> str:
        return self.sheet.name

    @property
    def power_w(self) -> float:
        return self.sheet.power_w

    @property
    def area_mm2(self) -> float:
        return self.sheet.area_mm2

    @property
    def leakage_power_w(self) -> float:
        return self.sheet.leakage_power_w

    @property
    def actions(self) -> tuple[ActionCost, ...]:
        return self.sheet.actions

    @property
    def source(self) -> str:
        return self.sheet.source

    @property
    def action_names(self) -> tuple[str, ...]:
        return tuple(action.name for action in self.actions)

    def action(self, action: str | ActionRef) -> ActionCost:
        name = _name(action)
        for cost in self.actions:
            if cost.name == name:
                return cost
        defined = ", ".join(self.action_names) or "none"
        raise UnknownActionError(f"{self.name} has no action '{name}' (defines: {defined})")

    def price_j(self, ref: ActionRef) -> float:
        """Energy of one counted unit of `ref`: one action, or one bit of a per-bit action."""
        return self.energy_per_bit_j(ref) if ref.per_bit else self.energy_j(ref)

    def energy_j(self, action: str | ActionRef) -> float:
        """Energy of one `action`."""
        return self.action(action).energy_j

    def latency_s(self, action: str | ActionRef) -> float:
        return self.action(action).latency_s

    def energy_per_bit_j(self, action: str | ActionRef) -> float:
        """Energy of `action` per bit it moves (for transfers and accesses)."""
        cost = self.action(action)
        if cost.bits is None:
            raise UnknownActionError(f"{self.name}.{cost.name} does not move data (no bits)")
        return cost.energy_j / cost.bits

    def bandwidth_bps(self, action: str | ActionRef) -> float:
        """Bits per second when `action` repeats back to back."""
        cost = self.action(action)
        if cost.bits is None or cost.latency_s <= 0:
            raise UnknownActionError(f"{self.name}.{cost.name} has no data rate")
        return cost.bits / cost.latency_s
