"""Configuration: strict YAML loading and the pydantic schemas of every config file."""

from archsim.config.hardware import HardwareConfig, list_hardware, load_hardware
from archsim.config.yamlio import deep_merge, load_with_base, load_yaml, validate

__all__ = [
    "HardwareConfig",
    "deep_merge",
    "list_hardware",
    "load_hardware",
    "load_with_base",
    "load_yaml",
    "validate",
]
