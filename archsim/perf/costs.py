"""The cost table the performance engines read: geometry, timing, per-action energies, leakage.

Both engines (`des.py`, `analytic.py`) see the hardware only through this record, so a test
can build a tiny hand-checkable chip directly, and `hw_costs.costs_from_hardware` is the one
place that reads a hardware description through the `archsim/hw/` component models.

Static power is per powered tile (its IMAs, buffers, units and its share of a router) and per
powered chip link; which tiles, chips and links are powered follows the power gating the
hardware description declares (`operation:` block).

Actions are keyed `component/unit` after the hw component that performs them ("ima.adc/
conversion", "tile.edram/bit"): the `key` of the components' `ActionRef` constants, which the
plans count by; the component (before the slash) is the key of the energy breakdown. Asking
for an action the table does not price is an error, never a zero.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from archsim.errors import UserError
from archsim.hw.component import ActionRef
from archsim.hw.digital import MAXPOOL_OP, SIGMOID_OP
from archsim.hw.shift_add import TILE_OP as TILE_SHIFT_ADD_OP

# Digital layer kinds: the tile unit that runs them and unit operations per output element
# (pooling: one per window element, see plan_other.py). Softmax: exp by the lookup unit, the
# row sum and the division (3); layer norm: sum, sum of squares, normalise, scale, shift (5).
# An activation matmul on the digital units (policy attention-digital): per MAC, one
# shift-and-add op per input bit (a bit-serial multiply, the accumulate folded in).
DIGITAL_UNIT: dict[str, ActionRef] = {
    "bn": TILE_SHIFT_ADD_OP,
    "add": TILE_SHIFT_ADD_OP,
    "act": SIGMOID_OP,
    "pool": MAXPOOL_OP,
    "eltwise": TILE_SHIFT_ADD_OP,
    "norm": TILE_SHIFT_ADD_OP,
    "softmax": SIGMOID_OP,
    "matmul": TILE_SHIFT_ADD_OP,
}
DIGITAL_OPS_PER_ELEMENT = {"bn": 2, "add": 1, "act": 1, "eltwise": 1, "norm": 5, "softmax": 3}


@dataclass(frozen=True)
class PerfCosts:
    """Everything the performance model needs to know about one chip/node (SI units)."""

    hardware: str
    crossbar_cycle_s: float  # one crossbar read cycle
    input_cycles: int  # crossbar cycles per matrix-vector product (input bits / DAC bits)
    input_bits: int  # bits of one input value read from eDRAM
    output_bits: int  # bits of one output or partial-sum value moved between tiles
    adcs_per_ima: int
    adc_sample_rate_hz: float  # conversions per second of one ADC
    tile_unit_ops_per_s: Mapping[str, float]  # "tile.sigmoid" -> ops/s of all of a tile's
    edram_bandwidth_bps: float  # one tile's eDRAM buffer
    router_bandwidth_bps: float  # one tile's router port
    chip_link_bandwidth_bps: float  # one chip-to-chip link
    cpu_mac_rate_per_s: float  # cores x SIMD lanes x FMA units x frequency x efficiency
    cpu_link_bandwidth_bps: float
    cpu_link_latency_s: float  # delay of a transfer's data; the link is not held for it
    action_energy_j: Mapping[str, float]  # "component/unit" -> joules
    tile_static_power_w: Mapping[str, float]  # component -> static watts of one powered tile
    chip_static_power_w: Mapping[str, float]  # component -> static watts of a chip's own parts
    tiles_per_chip: int
    tile_area_mm2: float  # one tile with its IMAs and its share of a router
    chip_area_mm2: float  # tiles_per_chip tiles plus the chip-level parts (chip links)
    unused_tiles_power_gated: bool = False
    unused_chips_power_gated: bool = True
    unused_links_power_gated: bool = False  # a one-chip design powers only its host link
    chip_links: int = 1  # chip-to-chip links per chip; `chip_static_power_w` is for all of them
    # charged to design points using the CPU path: the idle power (over the interval) and the
    # die area of the cores it runs on (the whole package when the CPU is dedicated)
    cpu_idle_power_w: float = 0.0
    cpu_area_mm2: float = 0.0
    batchnorm_folded: bool = True  # inference BN folded into the preceding conv (no cost)
    host_io: bool = True  # charge the image in / result out over the host link (plan.py)
    edram_bytes: float = 0.0  # one tile's eDRAM buffer (a layer's input rows); 0: unbounded
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        positive = {
            "crossbar_cycle_s": self.crossbar_cycle_s,
            "input_cycles": self.input_cycles,
            "input_bits": self.input_bits,
            "output_bits": self.output_bits,
            "adcs_per_ima": self.adcs_per_ima,
            "adc_sample_rate_hz": self.adc_sample_rate_hz,
            "edram_bandwidth_bps": self.edram_bandwidth_bps,
            "router_bandwidth_bps": self.router_bandwidth_bps,
            "chip_link_bandwidth_bps": self.chip_link_bandwidth_bps,
            "cpu_mac_rate_per_s": self.cpu_mac_rate_per_s,
            "cpu_link_bandwidth_bps": self.cpu_link_bandwidth_bps,
            "chip_area_mm2": self.chip_area_mm2,
            "tile_area_mm2": self.tile_area_mm2,
            "tiles_per_chip": self.tiles_per_chip,
            "chip_links": self.chip_links,
        }
        for name, value in positive.items():
            if not value > 0:
                raise UserError(f"hardware {self.hardware}: {name} must be > 0, got {value}")
        if self.tile_area_mm2 * self.tiles_per_chip > self.chip_area_mm2 * (1 + 1e-9):
            raise UserError(
                f"hardware {self.hardware}: {self.tiles_per_chip} tiles of "
                f"{self.tile_area_mm2} mm^2 exceed the chip's {self.chip_area_mm2}"
            )
        tables = (
            self.action_energy_j,
            self.tile_static_power_w,
            self.chip_static_power_w,
            self.tile_unit_ops_per_s,
            {"cpu_idle_power_w": self.cpu_idle_power_w, "cpu_area_mm2": self.cpu_area_mm2},
        )
        for table in tables:
            for name, value in table.items():
                if value < 0:
                    raise UserError(f"hardware {self.hardware}: {name} is negative ({value})")

    def energy_j(self, action: str) -> float:
        """Joules of one `action`; a missing price is an error, never a silent zero."""
        try:
            return self.action_energy_j[action]
        except KeyError:
            raise UserError(f"hardware {self.hardware} has no energy for '{action}'") from None

    def unit_ops_per_s(self, unit: str) -> float:
        rate = self.tile_unit_ops_per_s.get(unit, 0.0)
        if rate <= 0:
            raise UserError(f"hardware {self.hardware} has no '{unit}' unit in its tiles")
        return rate

    @property
    def chip_level_area_mm2(self) -> float:
        """Area of one chip's own parts beyond its tiles (the chip-to-chip links)."""
        return self.chip_area_mm2 - self.tiles_per_chip * self.tile_area_mm2

    @property
    def mvm_time_s(self) -> float:
        """One matrix-vector product on an uncontended crossbar: input_cycles cycles."""
        return self.input_cycles * self.crossbar_cycle_s


def component_of(action: str) -> str:
    """`ima.adc/conversion` -> `ima.adc`: the key actions are grouped under in breakdowns."""
    return action.split("/", 1)[0]
