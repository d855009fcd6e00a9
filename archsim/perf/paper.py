"""The drop-connect paper's throughput-bound cost estimate (its Table II), and that table.

latency = network MACs x images / effective MAC rate; energy = latency x constant power.
The MACs are archsim's own layer extraction (every layer, wherever the policy runs it); the
rate and power are the hardware description's `paper_estimator` calibration. The paper does
not say how it derived them from ISAAC's figures; back-derived from its Table II they are
2.60e10 MAC/s and 7.198 W, about 1/794 of one ISAAC chip's peak of 20.65e12 MAC/s (41.3 TOPS
at two operations per MAC) and 1/9.1 of its 65.8 W. The estimate has no pipeline, no
replication and no CPU path: only the MAC count changes with the network.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from archsim.config.hwschema import HardwareConfig
from archsim.errors import UserError
from archsim.mapping.records import Mapping
from archsim.perf.assemble import provisioned_area_mm2, tiles_area_mm2
from archsim.perf.result import STATIC_ROW, LayerCost, PerfResult

if TYPE_CHECKING:
    from archsim.perf.plan import PlannedMapping

TABLE_II_IMAGES = 10_000  # CIFAR-10 test set
TABLE_II_SOURCE = "Xiang et al., VTS 2024 (drop-connect paper), Table II; docs/validation.md s.8"
# (model, width) -> (latency s, energy J) for the 10,000 CIFAR-10 test images. ResNet-20 has
# 1x1 projection shortcuts; the paper prints energy in "kW", it is joules (= 7.198 W x s).
TABLE_II: dict[tuple[str, float], tuple[float, float]] = {
    ("resnet20", 1.0): (15.74, 113.32),
    ("resnet20", 1.2): (22.13, 159.28),
    ("resnet20", 1.4): (29.80, 214.53),
    ("resnet20", 1.6): (39.11, 281.56),
    ("mobilenetv2", 1.0): (0.68, 4.89),
    ("mobilenetv2", 1.2): (0.96, 6.93),
    ("vgg13", 1.0): (87.83, 632.16),
    ("vgg13", 1.2): (125.25, 901.56),
    ("vgg13", 1.4): (170.59, 1227.84),
    ("vgg13", 1.6): (222.53, 1601.71),
}
MOBILENET_MISMATCH = (
    "Table II's MobileNetV2 latency is {all_x:.1f}x below this estimate from all its MACs "
    "and {rram_x:.1f}x below one from its RRAM layers' MACs only: the paper left its 1x1 "
    "(pointwise, CPU) layers out, yet no simple subset of layers reproduces both of its rows "
    "(docs/validation.md s.8); a known, documented mismatch"
)


@dataclass(frozen=True)
class PaperCalibration:
    mac_rate_per_s: float
    power_w: float
    source: str


def paper_calibration(hw: HardwareConfig) -> PaperCalibration:
    section = hw.paper_estimator
    if section is None:
        raise UserError(
            f"hardware {hw.name} has no 'paper_estimator' section (mac_rate_per_s, power_w, "
            "source) for --estimator paper"
        )
    return PaperCalibration(section.mac_rate_per_s, section.power_w, section.source)


def paper_reference(model: str, width: float) -> tuple[float, float] | None:
    """Table II's (latency s, energy J) for 10,000 images, or None if it has no such cell."""
    return TABLE_II.get((model, round(width, 6)))


def _layer_costs(mapping: Mapping, rate: float, power: float) -> tuple[LayerCost, ...]:
    """Each layer at the one MAC rate and power: its share of time and energy."""
    return tuple(
        LayerCost(
            lm.spec.name,
            lm.target,
            lm.spec.macs / rate,
            lm.spec.macs / mapping.total_macs,
            lm.spec.macs / rate * power,
            {"paper_estimator": lm.spec.macs / rate * power},
        )
        for lm in mapping.layers
    )


def _notes(mapping: Mapping, hw_name: str, calibration: PaperCalibration) -> tuple[str, ...]:
    """The estimate's formula, and Table II's known MobileNetV2 mismatch where it applies."""
    rate, power = calibration.mac_rate_per_s, calibration.power_w
    notes = [
        f"paper estimator: latency = network MACs x images / {rate:.4g} MAC/s, energy = "
        f"latency x {power:.4g} W ({hw_name} paper_estimator: {calibration.source[:60]}...)"
    ]
    reference = paper_reference(mapping.model, mapping.width)
    if mapping.model == "mobilenetv2" and reference is not None:
        paper_per_image_s = reference[0] / TABLE_II_IMAGES
        notes.append(
            MOBILENET_MISMATCH.format(
                all_x=mapping.total_macs / rate / paper_per_image_s,
                rram_x=mapping.rram_macs / rate / paper_per_image_s,
            )
        )
    return tuple(notes)


def paper_estimate(point: "PlannedMapping", images: int = 1) -> PerfResult:
    """Table II's throughput bound of a planned mapping: its MACs at the hardware
    description's calibrated rate and power (the plans are not read)."""
    if images < 1:
        raise UserError(f"images must be >= 1, got {images}")
    mapping, hw, costs = point.mapping, point.hardware, point.costs
    if hw is None:
        raise UserError("the paper estimator needs a hardware description, not a cost table")
    calibration = paper_calibration(hw)
    rate, power = calibration.mac_rate_per_s, calibration.power_w
    macs = mapping.total_macs
    if macs <= 0:
        raise UserError(f"{mapping.model} has no multiply-accumulates to estimate")
    per_image_s = macs / rate
    layers = _layer_costs(mapping, rate, power)
    energy = per_image_s * power
    by_layer = {layer.name: layer.energy_j for layer in layers}
    by_layer[STATIC_ROW] = 0.0
    chips = mapping.chips_used
    tiles = len(frozenset().union(*(lm.tiles for lm in mapping.rram_layers)))
    budget = max(mapping.budget_chips, chips)
    rram_energy = mapping.rram_macs / rate * power
    return PerfResult(
        model=mapping.model,
        width=mapping.width,
        hardware=hw.name,
        estimator="paper",
        images=images,
        latency_s=per_image_s,
        interval_s=per_image_s,
        total_latency_s=images * per_image_s,
        energy_per_image_j=energy,
        energy_by_component_j={"paper_estimator": energy},
        energy_by_layer_j=by_layer,
        dynamic_energy_j=rram_energy,
        static_energy_j=0.0,
        cpu_energy_j=energy - rram_energy,
        link_energy_j=0.0,
        budget_chips=budget,
        chips_used=chips,
        tiles_used=tiles,
        provisioned_area_mm2=provisioned_area_mm2(budget, mapping.budget_tiles, costs),
        budget_tiles=mapping.budget_tiles,
        occupied_area_mm2=tiles_area_mm2(tiles, costs),
        crossbar_busy_fraction=0.0,
        bottleneck="(throughput bound: whole network at one rate)",
        rram_time_s=mapping.rram_macs / rate,
        cpu_time_s=mapping.cpu_macs / rate,
        events=0,
        layers=layers,
        notes=_notes(mapping, hw.name, calibration),
    )


@dataclass(frozen=True, kw_only=True)
class Table2Figures:
    """One net and width's N-image latency and energy (ours, by whichever estimator)."""

    net: str  # the zoo net Table II names
    width: float
    images: int
    latency_s: float
    energy_j: float


@dataclass(frozen=True, kw_only=True)
class Table2Comparison:
    """Our figures beside Table II's: each over the base width's, and ours over the paper's
    (the paper's cells scaled to our image count; None where Table II has no such cell)."""

    ours: Table2Figures
    latency_vs_base: float | None  # None: no base width to compare with
    energy_vs_base: float | None
    paper_latency_s: float | None
    paper_energy_j: float | None
    paper_latency_vs_base: float | None
    paper_energy_vs_base: float | None
    latency_vs_paper: float | None
    energy_vs_paper: float | None


def table2_comparison(ours: Table2Figures, base: Table2Figures | None) -> Table2Comparison:
    """`ours` beside Table II's cell and both over the `base` width's (width 1.0 when there is
    no base): the one comparison `archsim map --estimator paper` prints and the report's
    Table II page draws."""
    paper = paper_reference(ours.net, ours.width)
    paper_base = paper_reference(ours.net, 1.0 if base is None else base.width)
    scale = ours.images / TABLE_II_IMAGES
    return Table2Comparison(
        ours=ours,
        latency_vs_base=None if base is None else ours.latency_s / base.latency_s,
        energy_vs_base=None if base is None else ours.energy_j / base.energy_j,
        paper_latency_s=None if paper is None else paper[0] * scale,
        paper_energy_j=None if paper is None else paper[1] * scale,
        paper_latency_vs_base=None if paper is None or paper_base is None
        else paper[0] / paper_base[0],
        paper_energy_vs_base=None if paper is None or paper_base is None
        else paper[1] / paper_base[1],
        latency_vs_paper=None if paper is None else ours.latency_s / (paper[0] * scale),
        energy_vs_paper=None if paper is None else ours.energy_j / (paper[1] * scale),
    )  # fmt: skip
