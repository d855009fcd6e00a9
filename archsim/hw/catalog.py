"""Every component model of one hardware description, built once from the config."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar, cast

from archsim.config.hwschema import HardwareConfig
from archsim.hw.component import Component, UnknownActionError
from archsim.hw.registry import specs
from archsim.hw.spec import ComponentSpec

C = TypeVar("C", bound=Component)


@dataclass(frozen=True)
class ComponentSet:
    """One model per registered component kind (`registry.specs()`), each a single instance."""

    by_spec_name: Mapping[str, Component]

    def get(self, spec: ComponentSpec[C]) -> C:
        """The model `spec` built (typed as its class)."""
        return cast(C, self.by_spec_name[spec.name])

    def all(self) -> tuple[Component, ...]:
        return tuple(self.by_spec_name.values())

    def by_name(self, name: str) -> Component:
        """The component whose qualified name (e.g. "tile.router", "cpu.link") is `name`."""
        component = self.by_spec_name.get(name)
        if component is None:
            known = ", ".join(self.by_spec_name)
            raise KeyError(f"no component '{name}' (known: {known})")
        return component


def build_components(hw: HardwareConfig) -> ComponentSet:
    """Every registered component's model; each must define exactly its spec's actions."""
    built: dict[str, Component] = {}
    for spec in specs():
        component = spec.build(hw)
        declared = sorted(a.action for a in spec.actions)
        if component.name != spec.name or sorted(component.action_names) != declared:
            raise UnknownActionError(
                f"{spec.name}: built as {component.name} with actions "
                f"{', '.join(component.action_names) or 'none'}, declared {', '.join(declared)}"
            )
        built[spec.name] = component
    return ComponentSet(built)
