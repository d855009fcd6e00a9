"""The component registry: a component is its module plus its YAML block.

A toy component defined here (its `Component`, config block, `ComponentSpec` and action
constant) and a YAML file that adds its block to ISAAC reach the chip's totals, the cost
table and a simulated breakdown with no source file changed; misspelt actions fail where
they are written; every action of every shipped component is priced and counted.
"""

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
import torch
from pydantic import PositiveInt
from torch import nn

from archsim.config import hwparts
from archsim.config.blocks import block, register_block, unregister_block
from archsim.config.hardware import hardware_model, load_hardware
from archsim.config.hwschema import HardwareConfig
from archsim.errors import UserError
from archsim.hw import ChipCosts, chip_costs, register, specs, unregister
from archsim.hw.component import ActionRef, Component, Datasheet
from archsim.hw.edram import ACCESS as EDRAM_ACCESS
from archsim.hw.spec import ComponentSpec, MvmWork
from archsim.mapping.mapper import map_model, map_specs
from archsim.mapping.options import MapOptions
from archsim.mapping.records import LayerSpec
from archsim.perf.des import simulate
from archsim.perf.hw_costs import costs_from_hardware
from archsim.perf.plan import build_plans, plan_mapping
from archsim.perf.result import PerfResult

ISAAC = load_hardware("isaac")

FLASH = ActionRef("tile.toy", "flash")


class ToyConfig(hwparts.ComponentBlock):
    """A tile unit that flashes once per matrix-vector product."""

    ACTIONS: ClassVar[tuple[str, ...]] = (FLASH.action,)

    count: PositiveInt  # per tile


def _toy_block(hw: HardwareConfig) -> ToyConfig:
    return block(hw, "tile", "toy", ToyConfig)


@dataclass(frozen=True)
class Toy(Component):
    count: int

    @classmethod
    def from_config(cls, hw: HardwareConfig) -> "Toy":
        toy = _toy_block(hw)
        return cls(sheet=Datasheet.of(FLASH.component, toy), count=toy.count)


def _once(work: MvmWork) -> float:
    return 1.0


TOY = ComponentSpec(
    name="tile.toy",
    level="tile",
    block=ToyConfig,
    build=Toy.from_config,
    actions=(FLASH,),
    count=lambda hw: _toy_block(hw).count,
    per_mvm=((FLASH, _once),),
)

# 0.8 pJ per flash at one flash per ns is 0.8 mW dynamic, plus 0.2 mW static: 1 mW
TOY_YAML = """
base: isaac
name: isaac-toy
tile:
  toy:
    count: 2
    power_mw: 1.0
    area_mm2: 0.01
    leakage_mw: 0.2
    source: "test"
    actions:
      flash: {energy_pj: 0.8, latency_ns: 1.0, source: "test"}
"""


@pytest.fixture
def toy(tmp_path: Path) -> Iterator[Path]:
    """TOY registered while the test runs; its hardware file beside ISAAC's."""
    path = tmp_path / "isaac-toy.yaml"
    path.write_text(TOY_YAML, encoding="utf-8")
    register(TOY)
    try:
        yield path
    finally:
        unregister(TOY)


def _conv() -> LayerSpec:
    # 3 -> 16 channels, 3x3 kernel on 8x8: 64 output pixels, one MVM each
    return LayerSpec(name="conv", kind="conv", in_shape=(3, 8, 8), out_shape=(16, 8, 8),
                     macs=64 * 16 * 27, params=16 * 27, in_channels=3, out_channels=16,
                     kernel=(3, 3), stride=(1, 1), padding=(1, 1))  # fmt: skip


@dataclass(frozen=True)
class Plain:
    chip: ChipCosts
    result: PerfResult


@pytest.fixture(scope="module")
def plain() -> Plain:
    """ISAAC's chip and the conv's simulation without the toy (built before it registers:
    while it is registered, a description without its block has no cost for it)."""
    mapping = map_specs(
        [_conv()], ISAAC, input_shape=(3, 8, 8), options=MapOptions(policy="all-rram")
    )
    return Plain(chip_costs(ISAAC), simulate(plan_mapping(mapping, ISAAC)))


def test_a_registered_component_reaches_chip_costs_table_and_breakdown(
    plain: Plain, toy: Path
) -> None:
    hw = load_hardware(toy)
    chip, base = chip_costs(hw), plain.chip
    part = chip.part("tile.toy")
    assert (part.level, part.count, part.per_chip) == ("tile", 2, 2 * 168)
    # 168 tiles x 2 units x 0.01 mm^2, x 1 mW, x 0.2 mW static
    assert chip.area_mm2 == pytest.approx(base.area_mm2 + 3.36)
    assert chip.tile_area_mm2 == pytest.approx(base.tile_area_mm2 + 0.02)
    assert chip.power_w == pytest.approx(base.power_w + 0.336)
    assert chip.leakage_power_w == pytest.approx(base.leakage_power_w + 0.0672)

    costs = costs_from_hardware(hw)
    assert costs.energy_j(FLASH.key) == pytest.approx(0.8e-12)
    assert costs.tile_static_power_w["tile.toy"] == pytest.approx(2 * 0.2e-3)

    mapping = map_specs([_conv()], hw, input_shape=(3, 8, 8), options=MapOptions(policy="all-rram"))
    result = simulate(plan_mapping(mapping, hw))
    # 64 flashes (one per MVM), plus 0.4 mW static in each of the chip's 168 powered tiles
    # (ISAAC does not gate unused tiles) over the interval
    expected = 64 * 0.8e-12 + 0.4e-3 * 168 * result.interval_s
    assert result.energy_by_component_j["tile.toy"] == pytest.approx(expected, rel=1e-9)
    assert "tile.toy" not in plain.result.energy_by_component_j
    assert result.interval_s == pytest.approx(plain.result.interval_s)  # it takes no time
    # everything else unchanged: the toy's energy is the whole difference
    assert result.energy_per_image_j == pytest.approx(
        plain.result.energy_per_image_j + expected, rel=1e-9
    )


def test_a_registered_block_is_required_and_validated_strictly(toy: Path) -> None:
    # while the toy is registered, a description without its block lacks a cost
    with pytest.raises(UserError) as missing:
        load_hardware("isaac")
    assert str(missing.value).endswith("isaac.yaml: tile.toy: required key is missing")
    cases = {
        "tile:\n  toy:\n    actions:\n      zap: {energy_pj: 1, latency_ns: 1, source: x}\n":
            "tile.toy: actions: unknown action 'zap' (allowed: flash)",
        "tile:\n  toy:\n    colour: red\n":
            "tile.toy.colour: unknown key (allowed: power_mw, area_mm2, leakage_mw, actions, "
            "source, count)",
        "tile:\n  toy:\n    power_mw: .nan\n":
            "tile.toy.power_mw: Input should be a finite number",
    }  # fmt: skip
    for override, message in cases.items():
        path = toy.with_name("bad.yaml")
        path.write_text(_merged(override), encoding="utf-8")
        with pytest.raises(UserError) as caught:
            load_hardware(path)
        text = str(caught.value)
        assert "\n" not in text
        assert text == f"{path}: {message}"


def _merged(override: str) -> str:
    """A file based on the toy one that overrides part of its block."""
    return f"base: isaac-toy\nname: bad\n{override}"


def test_an_unknown_block_is_one_line_naming_the_allowed_blocks(tmp_path: Path) -> None:
    path = tmp_path / "fpu.yaml"
    path.write_text("base: isaac\ntile:\n  fpu: {count: 1}\n", encoding="utf-8")
    with pytest.raises(UserError) as caught:
        load_hardware(path)
    # the allowed keys are the tile section's fields, registered blocks included
    allowed = ", ".join(type(ISAAC.tile).model_fields)
    assert str(caught.value) == f"{path}: tile.fpu: unknown key (allowed: {allowed})"
    assert {"edram", "bus", "router", "sigmoid", "maxpool"} <= set(type(ISAAC.tile).model_fields)


def test_misspelt_or_foreign_actions_fail_where_the_spec_is_written() -> None:
    before = specs()
    with pytest.raises(ValueError, match="actions flsh differ from its block's flash"):
        ComponentSpec(name="tile.toy", level="tile", block=ToyConfig, build=Toy.from_config,
                      actions=(ActionRef("tile.toy", "flsh"),))  # fmt: skip
    with pytest.raises(ValueError, match=r"action ima\.adc/flash is another component's"):
        ComponentSpec(name="tile.toy", level="tile", block=ToyConfig, build=Toy.from_config,
                      actions=(ActionRef("ima.adc", "flash"),))  # fmt: skip
    register(TOY)
    try:
        with pytest.raises(ValueError, match=r"component tile\.toy is already registered"):
            register(TOY)
    finally:
        unregister(TOY)
    clash = ComponentSpec(
        name="tile.router",
        level="tile",
        block=ToyConfig,
        build=Toy.from_config,
        actions=(ActionRef("tile.router", "flash"),),
    )
    with pytest.raises(ValueError, match=r"component tile\.router is already registered"):
        register(clash)
    # the schema's own blocks cannot be registered over either (config level, below hw)
    register_block("tile", "router", ToyConfig)
    try:
        with pytest.raises(ValueError, match=r"tile\.router is already a block of the schema"):
            hardware_model()
    finally:
        unregister_block("tile", "router")
    assert specs() == before  # nothing was left registered
    assert load_hardware("isaac") == ISAAC
    with pytest.raises(AttributeError):
        _ = EDRAM_ACCESS.kee  # type: ignore[attr-defined]  # a misspelt constant: no silent 0


def test_every_action_of_every_component_is_priced() -> None:
    costs = costs_from_hardware(ISAAC)
    keys = {ref.key for spec in specs() for ref in spec.actions}
    assert keys == set(costs.action_energy_j)
    # one action each for ISAAC's 17 components (the 3 registers, 2 units...), and a key for
    # every action a component added since defines
    assert len(keys) == sum(len(spec.actions) for spec in specs()) >= 17
    assert all(costs.energy_j(key) > 0 for key in keys)


class _Covering(nn.Module):
    """Conv, ReLU (sigmoid unit), max-pool, a 1x1 shortcut on the CPU, a residual add."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1)
        self.shortcut = nn.Conv2d(16, 16, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pool(self.relu(self.conv1(x)))
        return self.conv2(y) + self.shortcut(y)


def test_every_per_inference_action_is_counted_by_some_plan() -> None:
    mapping = map_model(_Covering(), (3, 8, 8), ISAAC)
    plans = build_plans(mapping, costs_from_hardware(ISAAC))
    counted = {key for plan in plans for key in plan.action_counts}
    wanted = {ref.key for spec in specs() for ref in spec.actions if ref.per_inference}
    assert wanted - counted == set()
    assert counted - wanted == set()  # and the plans count nothing unregistered


def test_a_block_registered_in_config_is_validated_without_importing_hw(tmp_path: Path) -> None:
    # a shipped component's block registers next to its model in config/hwparts.py: every
    # process that loads a description validates it, also one that never imports archsim.hw
    path = tmp_path / "isaac-toy.yaml"
    path.write_text(TOY_YAML, encoding="utf-8")
    script = f"""
import sys
from typing import ClassVar
from pydantic import PositiveInt
from archsim.config import hwparts
from archsim.config.blocks import register_block
from archsim.config.hardware import load_hardware

class ToyConfig(hwparts.ComponentBlock):
    ACTIONS: ClassVar[tuple[str, ...]] = ("flash",)
    count: PositiveInt

register_block("tile", "toy", ToyConfig)
hw = load_hardware({str(path)!r})
assert hw.tile.toy.count == 2 and hw.tile.toy.actions["flash"].energy_pj == 0.8
assert not any(name.startswith("archsim.hw") for name in sys.modules)
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr
