"""Every RRAM layer of a model computed through its crossbars (docs/crossbar-path.md).

`CrossbarPath` calibrates each RRAM layer's input scale once (the largest |input| the float
model sees over the calibration images; unsigned codes where no input is negative), builds
its `CrossbarLayer`, and, inside `installed()`, makes each module's forward the crossbar
computation; `set_chip` programs every layer's cells with a chip's faults (None: fault-free).
`FaultInjector(..., crossbar=CrossbarSetup(...))` drives it, so the Monte-Carlo loop, remap,
spares and defect maps work through it unchanged. A replicated layer computes each output
pixel with the cells of the replica it is dealt to, in every mode (`xbarcopies.py`).
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Literal

import torch
from torch import Tensor, nn

from archsim.config.hwschema import HardwareConfig
from archsim.data.inputs import InputHandling, load_split
from archsim.errors import UserError
from archsim.faults.crossbar import CrossbarSpec
from archsim.faults.devices import NO_PHYSICS, DevicePhysics, IrDrop
from archsim.faults.quantize import QuantizedWeight
from archsim.faults.records import ChipFaults
from archsim.faults.replicas import ReplicaLayer
from archsim.faults.sites import FaultSite
from archsim.faults.xbarcopies import CrossbarCopies
from archsim.faults.xbarlayer import CrossbarLayer, InputQuantizer, calibrated
from archsim.hw.precision import ChipPrecision, chip_precision

CALIBRATION_IMAGES = 256  # the first training images of the dataset set each input scale
# fast: exact where provable, the ADC's noise equivalent elsewhere; exact: bit-true
# everywhere; off: the weight-substitution path (quantized weights, no DAC/ADC)
CrossbarMode = Literal["fast", "exact", "off"]
CROSSBAR_MODES: tuple[CrossbarMode, ...] = ("fast", "exact", "off")


@dataclass(frozen=True, kw_only=True)
class CrossbarSetup:
    """How to run the crossbar path: the chip's precision, the mode, the calibration images."""

    precision: ChipPrecision
    calibration: Tensor  # images whose RRAM-layer inputs set each layer's input scale
    exact: bool = False  # bit-true everywhere (else: the fast mode)
    physics: DevicePhysics = NO_PHYSICS  # the cells' device physics (docs/device-physics.md)


def crossbar_setup(
    mode: str,
    hw: HardwareConfig,
    dataset: str,
    data_dir: str | None,
    pad_to: int | None,
    device: str | torch.device,
    physics: DevicePhysics = NO_PHYSICS,
) -> CrossbarSetup | None:
    """The setup `mode` asks for (None: off), calibrated on the dataset's first training
    images (padded as the evaluated images are), with the cells' device physics."""
    if mode not in CROSSBAR_MODES:
        raise UserError(f"crossbar mode must be one of {', '.join(CROSSBAR_MODES)}, got {mode!r}")
    if mode == "off":
        if physics.active:
            raise UserError(
                "device physics (--variation, --read-noise) needs the crossbar path: "
                "drop --no-crossbar"
            )
        return None
    physics = with_wires(physics, hw)
    handling = InputHandling(CALIBRATION_IMAGES, None, pad_to)
    images = load_split(dataset, "train", data_dir, handling).images.to(device)
    return CrossbarSetup(
        precision=chip_precision(hw), calibration=images, exact=mode == "exact", physics=physics
    )


def with_wires(physics: DevicePhysics, hw: HardwareConfig) -> DevicePhysics:
    """`physics` plus the IR drop of the description's wires (`crossbar.wire_ohm`; unset or
    0: ideal wires)."""
    ohm = hw.crossbar.wire_ohm
    if not ohm:
        return physics
    return replace(physics, ir_drop=IrDrop(wire_ohm=ohm, cols=hw.crossbar.cols))


def crossbar_note(
    mode: str, hw: HardwareConfig, physics: DevicePhysics = NO_PHYSICS
) -> tuple[str, ...]:
    """What the results' notes say of the path (nothing for a lossless fast path)."""
    adc = chip_precision(hw).adc
    physics = physics if mode == "off" else with_wires(physics, hw)
    if physics.active:
        rounding = "" if mode == "exact" else ", partial sums not rounded (an approximation)"
        return (f"crossbar path {mode}: {physics.describe()}{rounding}; {adc.describe()}",)
    if mode == "off":
        return ("crossbar path off: quantized weights only (no DAC, ADC or input bits)",)
    if mode == "exact":
        return (f"crossbar path bit-true; {adc.describe()}",)
    if adc.lossless:
        return ()
    return (f"crossbar path fast: ADC rounding by its noise equivalent; {adc.describe()}",)


def calibrate(
    model: nn.Module, names: list[str], images: Tensor, bits: int, batch_size: int = 128
) -> dict[str, InputQuantizer]:
    """Per named module, the input quantizer the calibration images call for."""
    modules = dict(model.named_modules())
    seen: dict[str, list[float]] = {name: [0.0, 0.0] for name in names}

    def hook(name: str):  # type: ignore[no-untyped-def]
        def record(_module: nn.Module, args: tuple[Tensor, ...]) -> None:
            x = args[0].detach()
            seen[name][0] = max(seen[name][0], float(x.max()))
            seen[name][1] = min(seen[name][1], float(x.min()))

        return record

    handles = [modules[name].register_forward_pre_hook(hook(name)) for name in names]
    try:
        with torch.no_grad():
            for start in range(0, len(images), batch_size):
                model(images[start : start + batch_size])
    finally:
        for handle in handles:
            handle.remove()
    return {name: calibrated(high, low, bits) for name, (high, low) in seen.items()}


class CrossbarPath:
    """The crossbar layers of one model under one chip's precision."""

    def __init__(
        self,
        model: nn.Module,
        sites: tuple[FaultSite, ...],
        quantized: Mapping[str, QuantizedWeight],
        setup: CrossbarSetup,
    ) -> None:
        self.precision, self.physics = setup.precision, setup.physics
        self.copies: dict[str, CrossbarCopies] = {}  # the replicated layers (`deal`)
        names = [s.name for s in sites]
        inputs = calibrate(model, names, setup.calibration, setup.precision.input_bits)
        modules = dict(model.named_modules())
        adc = setup.precision.adc
        self.layers = {
            site.name: CrossbarLayer(
                modules[site.name],
                quantized[site.name],
                CrossbarSpec(
                    rows=adc.rows,
                    input_bits=setup.precision.input_bits,
                    dac_bits=adc.dac_bits,
                    adc_bits=adc.adc_bits,
                    adc_shift=adc.step_shift,
                    cells=site.cells,
                    flip=adc.flipped,
                    analog=setup.physics.active,
                    read_sigma=setup.physics.read_sigma((1 << site.cells.bits_per_cell) - 1),
                ),
                inputs[site.name],
                setup.exact,
                setup.physics,
                site.name,
            )
            for site in sites
        }

    def deal(self, replicas: Mapping[str, ReplicaLayer]) -> None:
        """Compute each replicated layer's pixels with the cells of the replica each is dealt
        to, with the dealing, patches and (fast mode) product of its `ReplicaLayer`."""
        self.copies = {name: CrossbarCopies(self.layers[name], r) for name, r in replicas.items()}

    def programs_copies(self, name: str) -> bool:
        """Whether `set_chip` computes replicated layer `name`'s copies from their cells
        (bit-true or device physics), so that no weights are written into them; else (the
        fast mode without physics) the injector writes each copy's faulty weights."""
        return name in self.copies and (self.layers[name].exact or self.physics.active)

    def set_chip(self, chip: ChipFaults | None) -> None:
        """Program every layer as `chip` (its faults and device physics); None: the clean
        quantized weights, no physics."""
        for name, layer in self.layers.items():
            target = self.copies.get(name, layer)  # a replicated layer: every copy
            if chip is None:
                target.set_chip(None, "cell")
            else:
                key = (chip.seed or 0, chip.chip or 0)
                target.set_chip(chip.layers.get(name), chip.kind, key)

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Within the block each RRAM module's forward is its crossbar computation."""
        try:
            for name, layer in self.layers.items():
                copies = self.copies.get(name)
                forward = layer.forward if copies is None else copies.forward
                layer.module.forward = forward  # type: ignore[method-assign,assignment]
            yield
        finally:
            for layer in self.layers.values():
                if "forward" in vars(layer.module):
                    del layer.module.forward
