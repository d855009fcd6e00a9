"""Every hardware component kind, in order: the one list the chip, the cost table and the
RRAM plan iterate over.

A shipped component is its module (`archsim/hw/<name>.py`: a `Component` subclass, its
`ComponentSpec` and its `ActionRef` constants), its block model in
`archsim/config/hwparts.py` (registered there with `register_block`), one entry below and
its YAML block. A what-if component whose block model lives in its own module is added with
`register` (which registers the block too): `tests/test_hw_registry.py` registers a toy one
and sees it in the chip's totals, the cost table and a simulated breakdown.
"""

from typing import Any

from archsim.config import hwparts
from archsim.config.blocks import register_block, unregister_block
from archsim.config.hardware import hardware_model
from archsim.hw.adc import ADC
from archsim.hw.bus import BUS
from archsim.hw.cpu import CPU, CPU_LINK
from archsim.hw.crossbar import CROSSBAR
from archsim.hw.dac import DAC
from archsim.hw.digital import MAXPOOL, SIGMOID
from archsim.hw.edram import EDRAM
from archsim.hw.hypertransport import HYPERTRANSPORT
from archsim.hw.registers import IMA_OUTPUT_REGISTER, INPUT_REGISTER, TILE_OUTPUT_REGISTER
from archsim.hw.router import ROUTER
from archsim.hw.sample_hold import SAMPLE_HOLD
from archsim.hw.shift_add import IMA_SHIFT_ADD, TILE_SHIFT_ADD
from archsim.hw.spec import ComponentSpec

# IMA parts, tile parts, the shared router, the chip's links, then the host.
_SHIPPED: tuple[ComponentSpec[Any], ...] = (
    CROSSBAR,
    ADC,
    DAC,
    SAMPLE_HOLD,
    IMA_SHIFT_ADD,
    INPUT_REGISTER,
    IMA_OUTPUT_REGISTER,
    EDRAM,
    BUS,
    SIGMOID,
    TILE_SHIFT_ADD,
    MAXPOOL,
    TILE_OUTPUT_REGISTER,
    ROUTER,
    HYPERTRANSPORT,
    CPU,
    CPU_LINK,
)
_ADDED: list[ComponentSpec[Any]] = []


def specs() -> tuple[ComponentSpec[Any], ...]:
    """The shipped components, then the registered ones, in order."""
    return (*_SHIPPED, *_ADDED)


def register(spec: ComponentSpec[Any]) -> None:
    """Add a component whose block model is its own: the schema gains its block (required in
    every description while registered), the chip, the cost table and the plans its costs."""
    if spec.level == "host":
        raise ValueError(f"{spec.name}: a host component cannot be registered (no section)")
    if any(known.name == spec.name for known in specs()):
        raise ValueError(f"component {spec.name} is already registered")
    block = spec.block
    if not issubclass(block, hwparts.ComponentBlock):
        raise ValueError(f"{spec.name}: its block must be a hwparts.ComponentBlock model")
    register_block(spec.section, spec.key, block)
    try:
        hardware_model()  # a block the schema already names is refused here, not at load
    except ValueError:
        unregister_block(spec.section, spec.key)
        raise
    _ADDED.append(spec)


def unregister(spec: ComponentSpec[Any]) -> None:
    """Undo `register` (a what-if study or a test done with its component)."""
    if spec in _ADDED:
        _ADDED.remove(spec)
        unregister_block(spec.section, spec.key)
