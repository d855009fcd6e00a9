"""Hardware descriptions: the attribute contract, variants, resolution and validation."""

import re
import shutil
import time
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from archsim.config.hardware import (
    HardwareConfig,
    ShadowWarning,
    list_hardware,
    load_hardware,
    with_overrides,
)
from archsim.config.hwparts import AdcConfig, ComponentBlock
from archsim.config.yamlio import load_yaml, validate
from archsim.errors import UserError
from archsim.hw.registry import specs

PACKAGED = Path(str(files("archsim").joinpath("hwconfigs")))
VARIANTS = ["isaac-256x256", "isaac-8bit-1cell", "isaac-differential"]


def test_isaac_contract_paths_hold_reference_md_values() -> None:
    hw = load_hardware("isaac")
    assert hw.name == "isaac"
    # ISAAC Table 2: 128x128 crossbars, 2 bits per cell, 100 ns cycle, flipped (offset) code
    assert (hw.crossbar.rows, hw.crossbar.cols, hw.crossbar.bits_per_cell) == (128, 128, 2)
    assert hw.crossbar.cycle_ns == 100
    assert hw.crossbar.encoding == "offset"
    assert (hw.precision.weight_bits, hw.precision.input_bits) == (16, 16)
    assert hw.ima.crossbars == 8
    assert (hw.ima.adc.count, hw.ima.adc.bits, hw.ima.adc.sample_rate_gsps) == (8, 8, 1.28)
    assert (hw.tile.imas, hw.chip.tiles, hw.node.chips) == (12, 168, 64)
    assert hw.frequency_ghz == 1.2
    assert hw.tile.router.tiles_per_router == 4
    assert hw.chip.hypertransport.links == 4
    # action energies = (Table 2 power - static) / actions per second at full activity
    assert hw.ima.adc.actions["conversion"].energy_pj == pytest.approx(1.8 / 1.28)
    assert hw.ima.dac.actions["row_drive"].energy_pj == pytest.approx(0.003125 * 100)
    assert hw.tile.edram.actions["access"].energy_pj == pytest.approx(14.49 / 1.2)
    assert hw.tile.edram.actions["access"].bits == 256
    assert hw.tile.router.actions["transfer"].energy_pj == pytest.approx(29.4)  # 8 ports / 8 ns
    assert hw.ima.shift_add.actions["op"].energy_pj == pytest.approx(0.04 / 2.56)
    # HyperTransport: (2600 - 1950) mW over 51.2 Gb/s = 12.7 pJ/bit, 128 bits a transfer
    assert hw.chip.hypertransport.actions["transfer"].energy_pj == pytest.approx(650 / 0.4)
    # bus: (7 - 1.4) mW at one 384-bit beat per 1.2 GHz clock
    bus = hw.tile.bus.actions["transfer"]
    assert bus.energy_pj == pytest.approx(5.6 / 1.2)
    cpu = hw.cpu
    assert (cpu.cores, cpu.simd_lanes, cpu.fma_units) == (28, 16, 2)
    assert 0 < cpu.efficiency <= 1
    assert cpu.link.bandwidth_gbps == 51.2  # 6.4 GB/s


def test_isaac_derived_structure() -> None:
    hw = load_hardware("isaac")
    assert hw.cells_per_weight == 8  # 16-bit weight / 2 bits per cell
    assert hw.weights_per_row == 16  # 128 columns / 8 cells
    assert hw.input_cycles == 16  # 16-bit inputs through 1-bit DACs
    assert hw.crossbars_per_chip == 168 * 12 * 8 == 16128
    assert hw.dacs_per_ima == 8 * 128
    # one S+H per column, ISAAC's unit column (a 129th column beside the 128) included
    assert hw.crossbar.offset_reference == "extra_column"
    assert hw.sample_holds_per_ima == 8 * 129
    assert hw.routers_per_chip == 42  # 168 tiles / 4


def _components(node: Any, path: str = "") -> list[tuple[str, ComponentBlock]]:
    found = []
    if isinstance(node, ComponentBlock):
        found.append((path, node))
    if hasattr(type(node), "model_fields"):
        for name in type(node).model_fields:
            found += _components(getattr(node, name), f"{path}.{name}".lstrip("."))
    return found


def test_every_component_block_and_action_has_a_source() -> None:
    hw = load_hardware("isaac")
    blocks = dict(_components(hw))
    # every block of the chip is a registered component's (the host CPU's blocks are not
    # component blocks), and the schema lists the same blocks
    assert set(blocks) == {spec.name for spec in specs() if spec.level != "host"}
    assert set(blocks) == {name for name, _ in hw.component_blocks()}
    for path, block in blocks.items():
        assert block.source.strip(), path
        assert block.actions, path
        for name, action in block.actions.items():
            assert action.source.strip(), f"{path}.{name}"


def _flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: node}


@pytest.mark.parametrize("variant", VARIANTS)
def test_variants_differ_from_isaac_only_where_they_override(variant: str) -> None:
    base = _flatten(load_hardware("isaac").model_dump())
    derived = _flatten(load_hardware(variant).model_dump())
    assert set(base) == set(derived)
    changed = {key for key in base if base[key] != derived[key]}
    raw = load_yaml(PACKAGED / f"{variant}.yaml")
    assert raw.pop("base") == "isaac"
    overridden = set(_flatten(raw))
    assert changed <= overridden
    assert "name" in changed and derived["name"] == variant


def test_variant_values() -> None:
    big = load_hardware("isaac-256x256")
    assert (big.crossbar.rows, big.crossbar.cols) == (256, 256)
    assert big.crossbar.power_mw == pytest.approx(4 * 0.3)  # 4x the cells of a 128x128 array
    one_cell = load_hardware("isaac-8bit-1cell")
    assert (one_cell.precision.weight_bits, one_cell.crossbar.bits_per_cell) == (8, 8)
    assert one_cell.precision.input_bits == 8
    assert one_cell.cells_per_weight == 1 and one_cell.weights_per_row == 128
    diff = load_hardware("isaac-differential")
    assert diff.crossbar.encoding == "differential"
    assert diff.cells_per_weight == 16  # 8 slices x a positive/negative pair


def test_list_hardware_names_the_shipped_files() -> None:
    assert set(list_hardware()) >= {"isaac", *VARIANTS}


def test_load_by_path_and_by_name_agree() -> None:
    assert load_hardware(PACKAGED / "isaac.yaml") == load_hardware("isaac")


def test_packaged_copy_is_found_outside_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./hwconfigs here
    assert load_hardware("isaac-differential").crossbar.encoding == "differential"


def test_local_hwconfigs_folder_wins_over_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = tmp_path / "hwconfigs"
    local.mkdir()
    # A user's own isaac.yaml shadows the packaged one; its variant still finds `base: isaac`.
    shutil.copy(PACKAGED / "isaac.yaml", local / "isaac.yaml")
    text = (local / "isaac.yaml").read_text().replace("  chips: 64", "  chips: 2")
    (local / "isaac.yaml").write_text(text)
    (local / "mine.yaml").write_text("base: isaac\ncrossbar:\n  encoding: differential\n")
    monkeypatch.chdir(tmp_path)
    with pytest.warns(
        ShadowWarning,
        match=r"hardware 'isaac' is .*hwconfigs/isaac.yaml, which "
        r"shadows the shipped 'isaac'",
    ):
        assert load_hardware("isaac").node.chips == 2
    mine = load_hardware("mine")  # its `base: isaac` is the file beside it
    assert mine.name == "mine"  # a variant without a name is named after its file
    assert mine.node.chips == 2 and mine.crossbar.encoding == "differential"
    assert "mine" in list_hardware()


def _bad(tmp_path: Path, text: str) -> str:
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(UserError) as info:
        load_hardware(str(f))
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(f))
    return message.removeprefix(f"{f}").removeprefix(": ")


def test_unknown_key_lists_allowed_keys(tmp_path: Path) -> None:
    message = _bad(tmp_path, "base: isaac\ncrossbar:\n  rowz: 5\n")
    assert message.startswith("crossbar.rowz: unknown key (allowed: ")
    for key in ("rows", "cols", "bits_per_cell", "cycle_ns", "encoding", "source"):
        assert key in message


def test_bad_encoding_lists_allowed_values(tmp_path: Path) -> None:
    assert _bad(tmp_path, "base: isaac\ncrossbar:\n  encoding: signed\n") == (
        "crossbar.encoding: must be 'offset' or 'differential', got 'signed'"
    )


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("ima:\n  adc:\n    count: -1\n", "ima.adc.count: Input should be greater than 0, got -1"),
        ("crossbar:\n  rows: many\n", "crossbar.rows: Input should be a valid integer, got 'many'"),
        ("crossbar:\n  rows: '128'\n", "crossbar.rows: Input should be a valid integer, got '128'"),
        (
            "crossbar:\n  bits_per_cell: 9\n",
            "crossbar.bits_per_cell: Input should be less than or equal to 8, got 9",
        ),
        ("cpu:\n  efficiency: 0\n", "cpu.efficiency: Input should be greater than 0, got 0"),
        (
            "precision:\n  weight_bits: 1\n",
            "crossbar.bits_per_cell (2) exceeds precision.weight_bits (1)",
        ),
        (
            "ima:\n  adc:\n    sample_rate_gsps: 2.0\n",
            "ima.adc: actions.conversion.latency_ns (0.78125) disagrees with "
            "1 / sample_rate_gsps (0.5 ns)",
        ),
        (
            "tile:\n  edram:\n    actions:\n      read: {energy_pj: 1, latency_ns: 1, source: x}\n",
            "tile.edram: actions: unknown action 'read' (allowed: access)",
        ),
        ("chip:\n  source: ''\n", "chip.source: String should have at least 1 character, got ''"),
    ],
)
def test_invalid_values_give_one_line(tmp_path: Path, override: str, expected: str) -> None:
    assert _bad(tmp_path, "base: isaac\n" + override) == expected


def test_weight_wider_than_a_row_is_rejected(tmp_path: Path) -> None:
    # 32-bit weights in 1-bit cells, differential: 64 cells, in a 32-column crossbar.
    text = (
        "base: isaac\nprecision: {weight_bits: 32}\n"
        "crossbar: {cols: 32, bits_per_cell: 1, encoding: differential}\n"
    )
    assert _bad(tmp_path, text) == "a weight needs 64 cells but a crossbar row has only 32 columns"


def test_duplicate_key_and_syntax_error(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("base: isaac\ncrossbar:\n  rows: 1\n  rows: 2\n")
    with pytest.raises(UserError, match=rf"^{re.escape(str(f))}:4: duplicate key 'rows'$"):
        load_hardware(str(f))
    f.write_text("base: isaac\ncrossbar: [1, 2\n")
    with pytest.raises(UserError, match=rf"^{re.escape(str(f))}:3: YAML syntax error"):
        load_hardware(str(f))


def test_unknown_name_lists_available() -> None:
    with pytest.raises(UserError) as info:
        load_hardware("isaac-9000")
    assert str(info.value).startswith("unknown hardware 'isaac-9000' (available: isaac, ")


def test_missing_path_and_cycle(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"hardware file not found: .*nope\.yaml"):
        load_hardware(str(tmp_path / "nope.yaml"))
    (tmp_path / "a.yaml").write_text("base: b.yaml\n")
    (tmp_path / "b.yaml").write_text("base: a\n")
    with pytest.raises(UserError, match=r"'base' chain has a cycle: a -> b -> a$"):
        load_hardware(str(tmp_path / "a.yaml"))


def test_models_are_frozen() -> None:
    hw = load_hardware("isaac")
    with pytest.raises(ValueError, match="frozen"):
        hw.crossbar.rows = 256  # type: ignore[misc]
    assert isinstance(hw, HardwareConfig)


def test_loading_isaac_is_fast() -> None:
    load_hardware("isaac")  # warm imports; the budget is for load + validate
    start = time.perf_counter()
    for _ in range(10):
        load_hardware("isaac")
    per_load = (time.perf_counter() - start) / 10
    assert per_load < 0.1  # measured about 2 ms; "well under a second"


def test_with_overrides_round_trips_and_revalidates() -> None:
    hw = load_hardware("isaac")
    assert with_overrides(hw, {}) == hw  # model_dump -> validate is lossless
    half = with_overrides(hw, {"ima": {"adc": {"count": 4}}})
    assert half.ima.adc.count == 4 and half.ima.adc.bits == 8
    assert hw.ima.adc.count == 8  # the original is untouched
    with pytest.raises(UserError, match=r"^what-if: ima\.adc\.count: Input should be greater"):
        with_overrides(hw, {"ima": {"adc": {"count": 0}}}, source="what-if")


def test_a_component_without_its_action_is_rejected() -> None:
    adc = load_hardware("isaac").ima.adc.model_dump()
    adc["actions"] = {}
    with pytest.raises(UserError) as info:
        validate(AdcConfig, adc, "adc.yaml")
    assert str(info.value) == "adc.yaml: actions: missing 'conversion' (required: conversion)"
