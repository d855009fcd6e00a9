"""Job kinds: small adapters from a job's JSON config to the engines (train, faults, mapping,
performance), each returning a JSON result."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archsim.config.hardware import HardwareConfig


def checked_hardware(config: dict[str, Any]) -> HardwareConfig:
    """The job's hardware, loaded by name, after checking it is still the content the job
    was keyed on: an edit between expansion and run must not slip results under old keys."""
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
