"""Register files (IMA input/output registers, tile output register): action `access`."""

from dataclasses import dataclass

from archsim.config.hwparts import RegisterConfig
from archsim.hw.component import Component, common_fields


@dataclass(frozen=True)
class Register(Component):
    size_bytes: int

    @classmethod
    def from_register(cls, name: str, register: RegisterConfig) -> "Register":
        return cls(**common_fields(name, register), size_bytes=register.size_bytes)
