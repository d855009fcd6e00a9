"""docs/design.md names the functions of `archsim map`'s pipeline and of one Monte-Carlo chip
as `module:function`; each must exist, so the pipelines it lists cannot drift from the code."""

import importlib
import re
from pathlib import Path

import pytest

DESIGN = Path(__file__).resolve().parents[1] / "docs" / "design.md"
NAMED = re.compile(r"`(archsim(?:\.\w+)+):(\w+(?:\.\w+)*)`")


def _section(title: str) -> str:
    """The text of the section `### title` up to the next heading."""
    text = DESIGN.read_text()
    start = text.index(f"### {title}")
    rest = text[start + 4 :]
    end = re.search(r"^#{2,3} ", rest, flags=re.MULTILINE)
    return rest if end is None else rest[: end.start()]


def _steps(title: str) -> list[tuple[str, str]]:
    return NAMED.findall(_section(title))


def test_both_pipelines_are_listed_step_by_step() -> None:
    # each is an ordered list naming a function per step: the map pipeline from the command
    # to the estimator, the chip from its scoring to its stopping rule
    mapping = [f"{m}:{f}" for m, f in _steps("The pipeline of `archsim map`")]
    assert mapping[0] == "archsim.cli.map:map_command"
    for stage in (
        "archsim.api.mapping:map_widths",
        "archsim.perf.balance:balanced_mapping",
        "archsim.perf.plan:build_plans",
        "archsim.perf.estimators:estimate_point",
    ):
        assert stage in mapping
    order = [
        mapping.index(s)
        for s in ("archsim.perf.balance:balanced_mapping", "archsim.perf.estimators:estimate_point")
    ]
    assert order == sorted(order)  # balanced and planned before it is estimated
    chip = [f"{m}:{f}" for m, f in _steps("One Monte-Carlo chip")]
    assert "archsim.faults.chip:ChipDrawer.draw" in chip
    assert "archsim.faults.inject:FaultInjector.chip" in chip
    assert chip.index("archsim.faults.chip:ChipDrawer.draw") < chip.index(
        "archsim.faults.inject:FaultInjector.chip"
    )


@pytest.mark.parametrize("module, name", sorted(set(NAMED.findall(DESIGN.read_text()))))
def test_every_function_the_design_names_exists(module: str, name: str) -> None:
    target: object = importlib.import_module(module)
    for part in name.split("."):
        assert hasattr(target, part), f"docs/design.md names {module}:{name}; it does not exist"
        target = getattr(target, part)
    assert callable(target)
