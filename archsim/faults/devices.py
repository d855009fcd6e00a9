"""Device physics of the programmed cells, composable with stuck-at faults (docs/device-physics.md).

Programming variation: each programmed cell's conductance misses its target by a Gaussian
error whose sigma depends on the target conductance (a fitted polynomial sigma_G(G) in uS,
`Variation`). A cell's level l in 0 .. L (L = 2**bits_per_cell - 1) targets the conductance
G = g_min + (g_max - g_min) l / L, so its error in levels has sigma
sigma_G(G) L / (g_max - g_min) (times the preset's multiplier). One draw per chip and layer,
from the chip's seed (`draw.unit_rng(seed, chip, "variation:" + layer)`), over every cell the
layer's crossbars hold, so the same chip with and without stuck-at faults has the same
variation (a replicated layer: replica 0 from that stream, replicas 1.. from one more,
`programmed_copies`); a stuck cell overrides it (written after, `xbarlayer.set_chip`). A
programmed conductance cannot be negative: levels are clipped below at -g_min L / (g_max - g_min)
(conductance 0); no clip above.

Named presets, `NAME` or `NAME:K` for K times the fitted sigma (`rram-wan2022:3`):
- `rram-wan2022`: the NeuRRAM chip's HfOx RRAM (Wan et al., Nature 2022, Extended Data
  Fig. 3, 1 s after programming), as CrossSim's `RRAMWan` device model fits it: a cubic
  sigma_G(G) = 1.536e-4 G^3 - 1.167e-2 G^2 + 0.2374 G + 1.053 (uS, G in uS), valid up to
  39.26 uS; here g_min = 1 uS, g_max = 39.26 uS.
"""

import math
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from archsim.errors import UserError
from archsim.faults.crossbar import CrossbarSpec, combine_slices, input_cycles
from archsim.faults.draw import unit_rng
from archsim.faults.sites import CellFormat


@dataclass(frozen=True, kw_only=True)
class Variation:
    """A programming-variation model: sigma_G(G) (uS) over levels spread on g_min .. g_max."""

    name: str
    description: str
    source: str
    g_min: float  # uS, the conductance of level 0
    g_max: float  # uS, the conductance of the top level
    coefficients: tuple[float, ...]  # sigma_G(G) polynomial in uS, highest power first
    multiplier: float = 1.0

    def level_sigma(self, levels: Tensor, cell_max: int) -> Tensor:
        """The error sigma, in levels, of cells programmed to `levels` (0 .. cell_max)."""
        span = self.g_max - self.g_min
        g = self.g_min + span * levels.to(torch.float64) / cell_max
        sigma = torch.zeros_like(g)
        for c in self.coefficients:
            sigma = sigma * g + c
        return (sigma.clamp(min=0) * (self.multiplier * cell_max / span)).to(levels.dtype)

    def floor(self, cell_max: int) -> float:
        """The lowest level a cell can take: conductance 0."""
        return -self.g_min * cell_max / (self.g_max - self.g_min)


WAN2022 = Variation(
    name="rram-wan2022",
    description="HfOx RRAM programming error per level (NeuRRAM), cubic fit",
    source="Wan et al., Nature 608 (2022), Extended Data Fig. 3; fit: CrossSim RRAMWan",
    g_min=1.0,
    g_max=39.26,
    coefficients=(1.536e-4, -1.167e-2, 2.374e-1, 1.053),
)
VARIATIONS: dict[str, Variation] = {v.name: v for v in (WAN2022,)}


def get_variation(text: str) -> Variation:
    """The preset `NAME` or `NAME:K` (K times its sigma, K > 0 finite), or a one-line error."""
    base, sep, factor = str(text).partition(":")
    preset = VARIATIONS.get(base)
    if preset is None:
        raise UserError(f"unknown variation {text!r}; presets: {', '.join(VARIATIONS)}")
    if not sep:
        return preset
    k = _positive(factor, f"variation {text!r}: NAME:K needs K, the sigma multiplier,")
    return replace(preset, name=f"{base}:{k:g}", multiplier=k)


def _positive(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise UserError(f"{what} a finite number > 0, got {text!r}")
    return value


@dataclass(frozen=True, kw_only=True)
class ReadNoise:
    """Per read, each driven cell's conductance deviates by N(0, (fraction x the top level)^2),
    state-independent and independent between cells and reads; a column's reading of digits
    d_r then has variance (fraction x L)^2 x sum_r d_r^2 (in levels), before the ADC."""

    name: str
    description: str
    source: str
    fraction: float  # sd per cell read, as a fraction of the top level's conductance
    multiplier: float = 1.0

    def level_sigma(self, cell_max: int) -> float:
        return self.fraction * self.multiplier * cell_max


READ_1PCT = ReadNoise(
    name="rram-read-1pct",
    description="short-term read noise of 1 % of the top conductance per cell and read",
    source="IBM aihwkit ReRamWan2022NoiseModel note (about 1 %, additive constant)",
    fraction=0.01,
)
READ_NOISES: dict[str, ReadNoise] = {r.name: r for r in (READ_1PCT,)}


def get_read_noise(text: str) -> ReadNoise:
    """The preset `NAME` or `NAME:K` (K times its sigma), or a one-line error."""
    base, sep, factor = str(text).partition(":")
    preset = READ_NOISES.get(base)
    if preset is None:
        raise UserError(f"unknown read noise {text!r}; presets: {', '.join(READ_NOISES)}")
    if not sep:
        return preset
    k = _positive(factor, f"read noise {text!r}: NAME:K needs K, the sigma multiplier,")
    return replace(preset, name=f"{base}:{k:g}", multiplier=k)


@dataclass(frozen=True, kw_only=True)
class Drift:
    """Conductance drift: G(t) = G(0) ((t + t0) / t0)^(-nu), t the seconds after programming,
    nu ~ |N(mu(g), sigma(g)^2)| per cell (drawn once per chip), g = G_target / g_max the
    target's relative conductance (here: level / L), mu and sigma clipped linear fits in
    ln g: mu = clip(a ln g + b, low, high), the same form for sigma."""

    name: str
    description: str
    source: str
    t0: float  # s
    mu: tuple[float, float, float, float]  # a, b, low, high
    sigma: tuple[float, float, float, float]

    def exponents(self, levels: Tensor, cell_max: int, normal: Tensor) -> Tensor:
        """Each cell's drift exponent nu for target `levels` and standard normals `normal`."""
        ln = torch.log((levels.to(torch.float64) / cell_max).clamp(min=1e-12))
        mu = (self.mu[0] * ln + self.mu[1]).clamp(self.mu[2], self.mu[3])
        sigma = (self.sigma[0] * ln + self.sigma[1]).clamp(self.sigma[2], self.sigma[3])
        return (mu + sigma * normal.to(torch.float64)).abs()

    def factor(self, nu: Tensor, time: float) -> Tensor:
        """G(t) / G(0) for exponents `nu` at `time` seconds after programming."""
        return torch.pow((time + self.t0) / self.t0, -nu)


PCM_NANDAKUMAR = Drift(
    name="pcm-nandakumar2019",
    description="PCM drift, nu fitted against the target conductance (IBM arrays)",
    source="Nandakumar et al., ICECS 2019; fit as in IBM aihwkit's PCM statistical model",
    t0=20.0,
    mu=(-0.0155, 0.0244, 0.049, 0.1),
    sigma=(-0.0125, -0.0059, 0.008, 0.045),
)
DRIFTS: dict[str, Drift] = {d.name: d for d in (PCM_NANDAKUMAR,)}


# NeuroSim's interconnect for the 32 nm node: a 40 nm wide copper wire, resistivity
# 4.03e-8 ohm m, aspect ratio 1.9, 2F (80 nm) of it per cell: 4.03e-8 x 80e-9 /
# (40e-9^2 x 1.9) = 1.06 ohm per cell (docs/device-physics.md s.6)
NEUROSIM_32NM_WIRE_OHM = 4.03e-8 * 80e-9 / ((40e-9) ** 2 * 1.9)


@dataclass(frozen=True, kw_only=True)
class IrDrop:
    """First-order IR drop (NeuroSim's series-wire model): cell (r, c) of a crossbar of R
    rows is driven from the row's start and sensed at the column's end, so its current
    crosses c + 1 row-wire and R - r column-wire segments of `wire_ohm` each, in series:
    G_eff = G / (1 + G (c + 1 + R - r) wire_ohm). Other cells' currents on the same wires
    (second order, input-dependent) are left out. Levels map to conductances on g_min ..
    g_max (uS) as the variation presets do; a layer's cell column j sits at column j mod
    `cols` of its crossbar."""

    wire_ohm: float
    cols: int
    g_min: float = WAN2022.g_min
    g_max: float = WAN2022.g_max

    def levels(self, stored: Tensor, cell_max: int) -> Tensor:
        """The levels (..., rows, cols) that cells holding `stored` are read as."""
        rows, cols = stored.shape[-2:]
        r = torch.arange(rows, dtype=torch.float64, device=stored.device).reshape(-1, 1)
        c = torch.arange(cols, dtype=torch.float64, device=stored.device) % self.cols
        path = self.wire_ohm * (c + 1 + (rows - r))  # ohm, (rows, cols)
        span = self.g_max - self.g_min
        g = (self.g_min + span * stored.to(torch.float64) / cell_max) * 1e-6  # S
        read = g / (1 + g * path)
        return ((read * 1e6 - self.g_min) * (cell_max / span)).to(stored.dtype)


@dataclass(frozen=True, kw_only=True)
class DevicePhysics:
    """The device physics one chip's cells follow (None: that mechanism is off)."""

    variation: Variation | None = None
    read_noise: ReadNoise | None = None
    drift: Drift | None = None
    time: float = 0.0  # seconds after programming (drift)
    ir_drop: IrDrop | None = None  # from the description's crossbar.wire_ohm

    @property
    def active(self) -> bool:
        mechanisms = (self.variation, self.read_noise, self.drift, self.ir_drop)
        return any(m is not None for m in mechanisms)

    def read_sigma(self, cell_max: int) -> float:
        """The read noise's sd per driven cell, in levels (0: none)."""
        return self.read_noise.level_sigma(cell_max) if self.read_noise else 0.0

    def describe(self) -> str:
        parts = [f"variation {self.variation.name}"] if self.variation else []
        parts += [f"read noise {self.read_noise.name}"] if self.read_noise else []
        parts += [f"drift {self.drift.name} at {self.time:g} s"] if self.drift else []
        parts += [f"IR drop {self.ir_drop.wire_ohm:g} ohm/cell"] if self.ir_drop else []
        return ", ".join(parts) or "no device physics"


NO_PHYSICS = DevicePhysics()


def device_physics(
    variation: str | None,
    read_noise: str | None = None,
    drift: str | None = None,
    time: float | None = None,
) -> DevicePhysics:
    """The physics the options name (checked: one `UserError` line on nonsense)."""
    chosen = DRIFTS.get(drift) if drift else None
    if drift and chosen is None:
        raise UserError(f"unknown drift {drift!r}; presets: {', '.join(DRIFTS)}")
    if (chosen is None) != (time is None):
        raise UserError("--drift NAME and --time SECONDS go together")
    if time is not None and not (math.isfinite(time) and time >= 0):
        raise UserError(f"--time must be a finite number of seconds >= 0, got {time}")
    return DevicePhysics(
        variation=get_variation(variation) if variation else None,
        read_noise=get_read_noise(read_noise) if read_noise else None,
        drift=chosen,
        time=time or 0.0,
    )


def programmed(
    stored: Tensor, physics: DevicePhysics, cell_max: int, key: tuple[int, int, str]
) -> Tensor:
    """`stored` cell levels (the integer targets 0 .. cell_max) as one chip programs them:
    each plus its variation error, then drifted to `physics.time`, drawn from the chip's
    (seed, chip) streams for the layer `key[2]` (independent of its faults)."""
    held = stored
    if physics.variation is not None:
        variation = physics.variation
        levels = torch.arange(cell_max + 1, dtype=stored.dtype, device=stored.device)
        sigma = variation.level_sigma(levels, cell_max)[stored.long()]  # per level: a table
        error = _normal(key, "variation", stored) * sigma
        held = (stored + error).clamp_(min=variation.floor(cell_max))
    if physics.drift is not None:
        nu = physics.drift.exponents(stored, cell_max, _normal(key, "drift", stored))
        held = (held * physics.drift.factor(nu, physics.time)).to(stored.dtype)
    return held


def programmed_copies(
    stored: Tensor, physics: DevicePhysics, cell_max: int, key: tuple[int, int, str]
) -> Tensor:
    """`programmed` for every replica of a replicated layer, `stored` (copies, ...): replica
    0 from the layer's own streams (so it is the unreplicated layer's draw), replicas 1..
    from one more stream per mechanism (`NAME@replicas`), drawn at once."""
    rest = (key[0], key[1], f"{key[2]}@replicas")
    first = programmed(stored[:1], physics, cell_max, key)
    return torch.cat((first, programmed(stored[1:], physics, cell_max, rest)))


def wired(stored: Tensor, physics: DevicePhysics, cell_max: int) -> Tensor:
    """`stored` levels as read through the crossbar's wires (IR drop; as is without it). Every
    cell is read through its wires, stuck ones included: applied after the stuck cells."""
    return stored if physics.ir_drop is None else physics.ir_drop.levels(stored, cell_max)


def _normal(key: tuple[int, int, str], what: str, like: Tensor) -> Tensor:
    """Standard normals shaped `like`, from chip (key[0], key[1])'s stream for `what` of
    layer key[2]."""
    rng = unit_rng(key[0], key[1], f"{what}:{key[2]}")
    normal = rng.standard_normal(like.numel(), dtype=np.float32).reshape(like.shape)
    return torch.from_numpy(normal).to(like.device)


def analog_codes(
    stored: Tensor, flipped: Tensor, row_used: Tensor, fmt: CellFormat, cell_max: int
) -> Tensor:
    """The real-valued weight codes (..., R, C) that cells of real levels hold, flips undone
    (unused rows read 0): `crossbar.logical_codes` without rounding to integers."""
    logical = torch.where(flipped, cell_max - stored, stored).to(torch.float64) * row_used
    codes = combine_slices(logical, fmt)
    if fmt.encoding == "offset":
        codes = codes - float(1 << (fmt.weight_bits - 1)) * row_used
    return codes


def read_noise_at_output(
    xq: Tensor, module: nn.Module, spec: CrossbarSpec, signed: bool, generator: torch.Generator
) -> Tensor:
    """The read noise of every reading of a layer, summed at its output (integer units, the
    module's layout; exact in distribution, docs/device-physics.md s.2): per output,
    N(0, sigma^2 x sum_r sum_t w_t^2 d_tr^2 x sum_s 4**(w s)), both arrays if differential.
    `xq`: the layer's input codes."""
    square = torch.zeros_like(xq)
    for weight, digits in input_cycles(xq, spec.input_bits, spec.dac_bits, signed):
        square += float(weight) ** 2 * digits.to(xq.dtype).square()
    if isinstance(module, nn.Linear):
        total = F.linear(square, torch.ones_like(module.weight, dtype=xq.dtype))
    else:
        assert isinstance(module, nn.Conv2d)
        ones = torch.ones_like(module.weight, dtype=xq.dtype)
        total = F.conv2d(square, ones, None, module.stride, module.padding, module.dilation,
                         module.groups)  # fmt: skip
    cells = spec.cells
    shifts = cells.bits_per_cell * torch.arange(cells.slices, dtype=torch.float64)
    power = (2 if cells.encoding == "differential" else 1) * float(torch.pow(4.0, shifts).sum())
    variance = total.to(torch.float64) * (power * spec.read_sigma**2)
    noise = torch.randn(total.shape, generator=generator, device=xq.device)
    return variance.sqrt() * noise
