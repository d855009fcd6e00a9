"""Does each component's energy per action x action rate + static power give its stated power?

A hardware description states, per component instance, the power at full activity
(`power_mw`, e.g. ISAAC's Table 2), the part of it drawn whether or not the component works
(`leakage_mw`), and the energy and latency of its action. At full activity the component
repeats its action back to back, so

    energy_pj x actions per second + leakage_mw  must equal  power_mw

within `operation.power_check_rtol`. Actions per second of one instance is 1 / latency, except
for a crossbar, whose `read` is one cell (rows x cols cells per cycle), and a router, whose
`transfer` is one port's (all `ports` move at once). A file whose numbers disagree is refused
with the component named, so an energy copied from one source and a power from another cannot
silently disagree (ISAAC's ADC at Accelergy's 1.67 pJ and 1.28 GS/s draws 2.14 mW, not 2.0).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from archsim.config import hwparts

# (qualified name, block) of every component block of a chip: `HardwareConfig.component_blocks`
Blocks = Iterable[tuple[str, hwparts.ComponentBlock]]


@dataclass(frozen=True)
class PowerCheck:
    """One component's power balance at full activity (milliwatts)."""

    component: str  # qualified name, e.g. "ima.adc"
    action: str
    actions_per_s: float
    dynamic_mw: float  # energy per action x actions per second
    leakage_mw: float
    stated_mw: float
    rtol: float

    @property
    def computed_mw(self) -> float:
        return self.dynamic_mw + self.leakage_mw

    @property
    def deviation(self) -> float:
        """(computed - stated) / stated; 0 when both are 0."""
        if self.stated_mw == 0:
            return 0.0 if self.computed_mw == 0 else float("inf")
        return self.computed_mw / self.stated_mw - 1

    @property
    def ok(self) -> bool:
        return abs(self.deviation) <= self.rtol

    def describe(self) -> str:
        return (
            f"{self.component}: {self.action} x {self.actions_per_s:.4g}/s = "
            f"{self.dynamic_mw:.6g} mW dynamic + {self.leakage_mw:.6g} mW static = "
            f"{self.computed_mw:.6g} mW against {self.stated_mw:.6g} mW stated "
            f"({self.deviation:+.2%}, tolerance {self.rtol:.2%})"
        )


def _actions_per_s(block: hwparts.ComponentBlock, action: hwparts.Action) -> float:
    if action.latency_ns <= 0:
        return float("inf") if action.energy_pj > 0 else 0.0
    per_s = 1e9 / action.latency_ns
    if isinstance(block, hwparts.CrossbarConfig):
        return per_s * block.rows * block.cols
    if isinstance(block, hwparts.RouterConfig):
        return per_s * block.ports
    return per_s


def power_checks(blocks: Blocks, rtol: float) -> list[PowerCheck]:
    """One check per action of `blocks` (the host CPU is priced from its power), each within
    relative tolerance `rtol` (`operation.power_check_rtol`)."""
    checks = []
    for name, block in blocks:
        for action_name, action in block.actions.items():
            rate = _actions_per_s(block, action)
            checks.append(PowerCheck(
                component=name, action=action_name, actions_per_s=rate,
                dynamic_mw=action.energy_pj * 1e-12 * rate * 1e3,
                leakage_mw=block.leakage_mw, stated_mw=block.power_mw,
                rtol=rtol,
            ))  # fmt: skip
    return checks


def first_failure(blocks: Blocks, rtol: float) -> PowerCheck | None:
    return next((check for check in power_checks(blocks, rtol) if not check.ok), None)
