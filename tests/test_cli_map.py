"""`archsim map` and `archsim models` through the real CLI group."""

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archsim.cli import cli
from archsim.config.hardware import load_hardware
from archsim.hw import chip_costs


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_map_json_per_layer_rows_and_totals() -> None:
    result = run("map", "--model", "resnet20", "--width", "1.4", "--option", "shortcut=1x1",
                 "--no-replicate", "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    rows = {row["layer"]: row for row in payload["rows"]}
    # layer3.1.conv2 at width 1.4: 801x89 -> ceil(801/128)=7 * ceil(89/15)=6 = 42 crossbars.
    conv = rows["layer3.1.conv2"]
    assert (conv["matrix"], conv["cells_per_weight"], conv["crossbars"]) == ("801x89", 8, 42)
    # 1x1 shortcut 22 -> 44 at stride 2 on 16x16: 16*16*44*22 = 247,808 MACs on the CPU.
    shortcut = rows["layer2.0.shortcut.0"]
    assert (shortcut["target"], shortcut["macs"]) == ("cpu", 247_808)
    assert rows["layer1.0.add"]["target"] == "digital"
    totals = payload["totals"]
    assert totals["crossbars"] == 327 and totals["chips"] == "1 of 64"
    # The other shortcut: 8*8*89*44 = 250,624; CPU MACs = 247,808 + 250,624.
    assert totals["cpu_macs"] == 498_432
    assert "first conv: conv1 -> rram" in payload["notes"]
    assert payload["setup"]["policy"] == "cpu-1x1"


def test_map_width_list_gives_one_summary_row_per_width() -> None:
    result = run("map", "-m", "resnet20", "--width", "1.0,1.4", "--no-replicate", "--format",
                 "csv")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    # 160 and 327 crossbars (16 weights per crossbar row): derivations in test_mapping_tiling.py.
    assert [(r["width"], r["crossbars"]) for r in rows] == [("1.0", "160"), ("1.4", "327")]


def test_map_table_shows_policy_overrides_and_notes() -> None:
    result = run("map", "-m", "resnet20", "--option", "shortcut=1x1",
                 "--override", "layer*.shortcut.0=rram", "--override", "conv1=cpu")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "policy: cpu-1x1 layer*.shortcut.0=rram conv1=cpu" in result.output
    assert "note: first conv: conv1 -> cpu" in result.output
    line = next(x for x in result.output.splitlines() if x.startswith("layer2.0.shortcut.0 "))
    assert "rram" in line.split()


@pytest.mark.parametrize(
    ("dataset", "fc_crossbars", "total"),
    [
        # CIFAR-100: fc 64x100 -> 1 * ceil(100/16) = 7 crossbars instead of 1: 160 + 6.
        ("cifar100", 7, 166),
        # Digits 1x8x8: conv1 becomes 9x16 (1 * 1 crossbar, as 27x16): still 160.
        ("digits", 1, 160),
    ],
)
def test_map_dataset_sets_shape_and_classes(dataset: str, fc_crossbars: int, total: int) -> None:
    result = run("map", "-m", "resnet20", "--dataset", dataset, "--no-replicate", "--format",
                 "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    fc = next(r for r in payload["rows"] if r["layer"] == "fc")
    assert fc["crossbars"] == fc_crossbars and payload["totals"]["crossbars"] == total


def test_map_8bit_one_cell_hardware() -> None:
    result = run("map", "-m", "vgg13", "--hw", "isaac-8bit-1cell", "--no-replicate", "--format",
                 "json")  # fmt: skip
    rows = {r["layer"]: r for r in json.loads(result.output)["rows"]}
    # 4608x512 -> 36 * ceil(512/128)=4 = 144 crossbars (128 one-cell weights a row, the unit
    # column beside them); one cell per weight.
    assert (rows["features.31"]["crossbars"], rows["features.31"]["cells_per_weight"]) == (144, 1)


def _hardware(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"base: isaac\nname: {name}\n{body}")
    return str(path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--policy", "cpu-3x3"), "unknown policy 'cpu-3x3'; choose one of cpu-1x1"),
        (("--override", "layer9.*=cpu"), "override layer9.*=cpu matches no conv or linear"),
        (("--override", "fc=fpga"), "TARGET one of rram, cpu"),
        (("--dataset", "cifar10", "--input-shape", "3,32,32"), "either --dataset or --input"),
        (("--input-shape", "3,0,32"), "--input-shape must be positive integers"),
        (("--width", "1.0,-1"), "--width must be numbers > 0"),
        (("--option", "shortcut"), "must look like KEY=VALUE"),
    ],
)
def test_map_bad_input_is_one_line_exit_2(args: tuple[str, ...], message: str) -> None:
    result = run("map", "-m", "resnet20", *args)
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and result.output.count("\n") == 1
    assert message in result.output


def test_map_too_large_and_zero_sized_crossbars(tmp_path: Path) -> None:
    # One tile per chip = 12 IMAs; ResNet-20 needs 31 IMAs -> ceil(31/12) = 3 chips.
    tiny = _hardware(tmp_path, "tiny", "chip:\n  tiles: 1\nnode:\n  chips: 1\n")
    result = run("map", "-m", "resnet20", "--hw", tiny)
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "resnet20 at width 1 needs 3 chips (160 crossbars) but hardware tiny has 1 chip" in (
        result.output
    )
    zero = _hardware(tmp_path, "zero", "crossbar:\n  rows: 0\n")
    result = run("map", "-m", "resnet20", "--hw", zero)
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "crossbar.rows" in result.output


def test_models_lists_the_zoo_with_hand_checked_counts() -> None:
    result = run("models", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {row["model"]: row for row in json.loads(result.output)["rows"]}
    # ResNet-20 option A: 269,722 parameters (convs 432 + 6*2304 + 4608 + 5*9216 + 18432 +
    # 5*36864, BN 2*(16*7 + 32*6 + 64*6), fc 650) and 40,551,040 MACs at 3x32x32.
    assert (rows["resnet20"]["params"], rows["resnet20"]["macs"]) == (269_722, 40_551_040)
    assert rows["lenet5"]["input_shape"] == "1,28,28"
    assert {"vgg13", "mobilenetv2", "resnet20-bottleneck"} <= set(rows)


def test_models_at_another_width_and_shape() -> None:
    result = run("models", "--input-shape", "3,8,8", "--width", "0.5", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = {r["model"]: r for r in csv.DictReader(io.StringIO(result.output))}
    # ResNet-20 at width 0.5 (8/16/32 channels) on 8x8: stem 8*8*8*27 = 13,824; stage 1
    # 6 * 8*8*8*72 = 221,184; stage 2 4*4*16*72 + 5 * 4*4*16*144 = 202,752; stage 3
    # 2*2*32*144 + 5 * 2*2*32*288 = 202,752; fc 32*10 = 320: 640,832 in all.
    assert rows["resnet20"]["macs"] == "640832"
    assert run("models", "--width", "1,2").exit_code == 2


def test_map_replicates_inside_the_default_budget() -> None:
    result = run("map", "-m", "resnet20", "--format", "json")
    payload = json.loads(result.output)
    # the default budget: the 1 chip that holds ResNet-20 with one copy of each layer
    assert payload["setup"]["replicate"] is True and payload["setup"]["budget_chips"] == 1
    conv1 = next(r for r in payload["rows"] if r["layer"] == "conv1")
    # Replicas multiply crossbars: conv1 is 1 crossbar per replica (27x16 -> 1 * 1).
    assert conv1["replicas"] > 1 and conv1["crossbars"] == conv1["replicas"]
    assert payload["totals"]["crossbars"] > 160 and payload["totals"]["chips"] == "1 of 64"


def test_map_budget_node_fills_the_node() -> None:
    result = run("map", "-m", "resnet20", "--budget-chips", "node", "--format", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["setup"]["budget_chips"] == 64
    # 64 chips hold one replica per output pixel: conv1 (32x32 outputs) gets 1024. Nothing
    # is trimmed: the only stage off the crossbars, the image's 49,152 bits over the host
    # link (0.96 us), is faster than one 1.6125 us MVM (16 cycles of 129 ADC samples).
    conv1 = next(r for r in payload["rows"] if r["layer"] == "conv1")
    assert (conv1["replicas"], conv1["crossbars"]) == (1024, 1024)
    assert payload["totals"]["chips"] == "2 of 64"
    # 64 chips of 85.42472 mm^2 (Table 2) + 2016 x 8 unit-column S+H of 3.90625e-8 mm^2 over
    # ISAAC's own blocks (tests/test_hw_components.py), and any component added since
    chip_mm2 = chip_costs(load_hardware("isaac")).area_mm2
    assert payload["costs"]["provisioned_area_mm2"] == pytest.approx(64 * chip_mm2, rel=1e-4)
    for bad in ("0", "everywhere", "nan"):
        failed = run("map", "-m", "resnet20", "--budget-chips", bad)
        assert failed.exit_code != 0
        assert "--budget-chips must be a number of chips >= 1 or 'node'" in failed.output
    too_many = run("map", "-m", "resnet20", "--budget-chips", "65")
    assert too_many.exit_code != 0 and "the node's 64" in too_many.output


def test_a_tile_budget_provisions_part_of_a_chip_and_the_widths_compete_for_it() -> None:
    result = run("map", "-m", "resnet20", "--option", "shortcut=1x1", "--dataset", "digits",
                 "--width", "1.0,1.4", "--budget-tiles", "8", "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["rows"]
    # 8 tiles of 0.37229 mm^2 (+ 96 unit-column S+H of 3.90625e-8 mm^2) and 8/168 of the
    # chip's 22.88 mm^2 of HyperTransport links, plus the host CPU's die (694 mm^2, all of
    # whose 28 cores the CPU path's 1x1 shortcuts run on)
    # (ISAAC's own blocks: tests/test_hw_components.py; any component added since counts too)
    chip = chip_costs(load_hardware("isaac"))
    links_mm2 = chip.area_mm2 - 168 * chip.tile_area_mm2  # the chip-level parts: 22.88 mm^2
    provisioned = 8 * chip.tile_area_mm2 + 8 / 168 * links_mm2 + 694
    assert all(r["provisioned_area_mm2"] == pytest.approx(provisioned, rel=1e-4) for r in rows)
    # one copy of each layer needs 3 (1.0: 31 IMAs) and 5 (1.4) tiles; the rest holds
    # replicas, fewer of the wider net's bigger layers, so it streams slower
    assert rows[1]["throughput_ips"] < rows[0]["throughput_ips"]
    assert rows[1]["throughput_ratio"] < 1
    for bad in (("--budget-tiles", "2"), ("--budget-tiles", "2", "--budget-chips", "1")):
        failed = run("map", "-m", "resnet20", "--dataset", "digits", *bad)
        assert failed.exit_code == 2
    assert (
        "between the 3 resnet20 at width 1 needs"
        in run("map", "-m", "resnet20", "--dataset", "digits", "--budget-tiles", "2").output
    )


def test_map_help_lists_every_placement_policy() -> None:
    # the --policy help is built from the policy registry, so a new policy cannot be missing
    from archsim.mapping.policy import POLICIES

    wide = CliRunner().invoke(cli, ["map", "--help"], terminal_width=400, max_content_width=400)
    help_text = " ".join(wide.output.split())
    listed = help_text.split("Placement policy: ")[1].split(".")[0]
    assert listed.replace(" or ", ", ").split(", ") == list(POLICIES)
    assert {"cpu-ends", "first-conv-rram"} <= set(POLICIES)
