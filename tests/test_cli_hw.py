"""`archsim hw list|show|validate`, including every bad input's one-line error."""

import json
from importlib.resources import files
from pathlib import Path

import pytest
from click.testing import CliRunner

from archsim.cli import cli
from archsim.config.hardware import load_hardware
from archsim.hw import chip_costs


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_list_shows_every_shipped_description() -> None:
    code, out = _run("hw", "list", "--format", "json")
    assert code == 0
    rows = {row["name"]: row for row in json.loads(out)["rows"]}
    assert {"isaac", "isaac-256x256", "isaac-8bit-1cell", "isaac-differential"} <= set(rows)
    assert all(row["status"] == "ok" for row in rows.values())
    assert rows["isaac-differential"]["cells_per_weight"] == 16


def test_show_table_prints_tree_sources_and_totals() -> None:
    code, out = _run("hw", "show", "isaac")
    assert code == 0
    assert "Accelergy isaac_adc" in out  # a source beside the numbers
    assert "sample_rate_gsps: 1.28" in out
    # the chip's totals, to 6 digits: over ISAAC's own blocks 65.8082375 W, 85.42535 mm^2 and
    # 15.2125 W static (168 tiles x 44.122 mW + 4 links x 1.95 W; tests/test_hw_components.py
    # derives them), plus whatever a component added to the registry brings
    chip = chip_costs(load_hardware("isaac"))
    assert f"chip_power_w: {chip.power_w:.6g}" in out
    assert f"chip_area_mm2: {chip.area_mm2:.6g}" in out
    assert f"chip_static_power_w: {chip.leakage_power_w:.6g}" in out
    assert "peak_tops: 40.9676" in out  # 41.28768 TOPS x 128 / 129 (129 ADC samples a cycle)
    assert "crossbars_per_chip: 16128" in out
    assert "cells_per_weight: 8" in out


def test_show_json_has_hardware_rows_and_totals() -> None:
    code, out = _run("hw", "show", "isaac-256x256", "--format", "json")
    assert code == 0
    payload = json.loads(out)
    assert payload["hardware"]["crossbar"]["rows"] == 256
    assert payload["totals"]["cycle_bound_by"] == "adc"
    assert payload["totals"]["cycle_ns"] == pytest.approx(257 / 1.28)  # 257 samples per ADC
    by_name = {row["component"]: row for row in payload["rows"]}
    assert by_name["ima.dac"]["count"] == 8 * 256  # one DAC per row


def test_validate_ok_prints_summary() -> None:
    path = str(Path(str(files("archsim").joinpath("hwconfigs", "isaac-differential.yaml"))))
    code, out = _run("hw", "validate", path)
    assert code == 0
    lines = out.splitlines()
    assert lines[-1].startswith(f"{path}: ok (isaac-differential: 16128 crossbars/chip of 128x128")
    assert "16-bit weights in 16 cells" in lines[-1]
    # one power check per component action of the chip: ISAAC's 1 crossbar + 6 IMA + 7 tile
    # + 1 link, and one per action of a component added since
    checks = [line for line in lines if line.startswith("power check ok: ")]
    actions = sum(len(block.actions) for _, block in load_hardware(path).component_blocks())
    assert len(checks) == len(lines) - 1 == actions >= 15
    assert any(
        line.startswith(
            "power check ok: ima.adc: conversion x 1.28e+09/s = 1.8 mW "
            "dynamic + 0.2 mW static = 2 mW against 2 mW"
        )
        for line in checks
    )


def test_a_file_that_breaks_the_power_check_is_refused_naming_the_component(
    tmp_path: Path,
) -> None:
    # Accelergy's 1.67 pJ per conversion at 1.28 GS/s is 2.1376 mW, + 0.2 mW static against
    # the 2.0 mW the file states for one ADC: 16.9% over the 0.1% tolerance.
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "base: isaac\nname: bad\nima:\n  adc:\n    actions:\n      conversion:\n"
        "        energy_pj: 1.67\n        latency_ns: 0.78125\n"
        "        source: accelergy\n"
    )
    code, out = _run("hw", "validate", str(bad))
    assert code == 2
    line = out.strip()
    assert "\n" not in line and line.startswith("error: ")
    assert "power check failed for ima.adc: conversion" in line
    assert "2.3376 mW against 2 mW stated (+16.88%, tolerance 0.10%)" in line


BAD_FILES = {
    "duplicate-key": (
        "base: isaac\ncrossbar:\n  rows: 128\n  rows: 256\n",
        ":4: duplicate key 'rows'",
    ),
    "unknown-key": (
        "base: isaac\ntile:\n  edram:\n    sise_kb: 64\n",
        ": tile.edram.sise_kb: unknown key (allowed: power_mw, area_mm2, leakage_mw, "
        "actions, source, size_kb, banks)",
    ),
    "wrong-type": (
        "base: isaac\nchip:\n  tiles: lots\n",
        ": chip.tiles: Input should be a valid integer, got 'lots'",
    ),
    "negative-count": (
        "base: isaac\ntile:\n  imas: -12\n",
        ": tile.imas: Input should be greater than 0, got -12",
    ),
    "bad-encoding": (
        "base: isaac\ncrossbar:\n  encoding: twos-complement\n",
        ": crossbar.encoding: must be 'offset' or 'differential', got 'twos-complement'",
    ),
    "yaml-syntax": ("base: isaac\ncrossbar: {rows: 128\n", ":3: YAML syntax error: "),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_exit_2_with_one_error_line(tmp_path: Path, case: str) -> None:
    text, expected = BAD_FILES[case]
    f = tmp_path / f"{case}.yaml"
    f.write_text(text)
    for command in (["hw", "validate", str(f)], ["hw", "show", str(f)]):
        code, out = _run(*command)
        assert code == 2
        assert out.count("\n") == 1 and "Traceback" not in out
        assert out.startswith(f"error: {f}{expected}")


def test_unknown_hardware_name(tmp_path: Path) -> None:
    code, out = _run("hw", "show", "isaac-3000")
    assert code == 2
    assert out.startswith("error: unknown hardware 'isaac-3000' (available: isaac, isaac-256x256")
    assert out.count("\n") == 1


def test_base_cycle(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("base: b\n")
    (tmp_path / "b.yaml").write_text("base: a\n")
    code, out = _run("hw", "validate", str(tmp_path / "a.yaml"))
    assert code == 2
    assert out == f"error: {tmp_path / 'a.yaml'}: 'base' chain has a cycle: a -> b -> a\n"


def test_missing_file() -> None:
    code, out = _run("hw", "validate", "no/such/file.yaml")
    assert (code, out) == (2, "error: hardware file not found: no/such/file.yaml\n")


def test_list_marks_an_invalid_local_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "hwconfigs").mkdir()
    (tmp_path / "hwconfigs" / "broken.yaml").write_text("base: isaac\ncrossbar: {rows: 0}\n")
    monkeypatch.chdir(tmp_path)
    code, out = _run("hw", "list", "--format", "json")
    assert code == 0
    rows = {row["name"]: row for row in json.loads(out)["rows"]}
    assert rows["broken"]["status"].startswith("invalid: ")
    assert (
        "crossbar.rows: Input should be greater than or equal to 1, got 0"
        in (rows["broken"]["status"])
    )
    assert rows["isaac"]["status"] == "ok"  # the packaged files are still listed
