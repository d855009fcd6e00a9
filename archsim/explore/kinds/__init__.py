"""Job kinds: small adapters from a job's JSON config to the engines (train, faults, mapping,
performance), each returning a JSON result."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archsim.config.hardware import HardwareConfig


def checked_hardware(config: dict[str, Any]) -> HardwareConfig:
    """The job's hardware, loaded by name (a hardware variant's reference derives it,
    `config/variants.py`), after checking it is still the content the job was keyed on: an
    edit between expansion and run must not slip results under old keys."""
    from archsim.config.hardware import hardware_digest, load_hardware
    from archsim.errors import UserError

    hw = load_hardware(config["hardware"])
    expected = config.get("hardware_digest")
    if expected and hardware_digest(hw) != expected:
        raise UserError(
            f"hardware {config['hardware']!r} changed while the sweep was "
            "running; run the sweep again"
        )
    return hw


def hardware_record(hw: HardwareConfig) -> dict[str, Any]:
    """What an accuracy job records of the hardware it ran on: the variant's name and
    content digest, and the precision and cells its mapping read."""
    from archsim.config.hardware import hardware_digest

    return {
        "name": hw.name,
        "digest": hardware_digest(hw),
        "weight_bits": hw.precision.weight_bits,
        "input_bits": hw.precision.input_bits,
        "dac_bits": hw.ima.dac.bits,
        "adc_bits": hw.ima.adc.bits,
        "bits_per_cell": hw.crossbar.bits_per_cell,
        "rows": hw.crossbar.rows,
        "cols": hw.crossbar.cols,
        "encoding": hw.crossbar.encoding,
    }
