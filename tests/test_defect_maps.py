"""Measured defect maps by physical position (NPZ per crossbar, CSV per faulty cell): hand
positions, round trips, one-line errors, and identical evaluation from the CLI."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from faults_support import TinyNet, digits

from archsim.checkpoint import save_checkpoint
from archsim.cli import cli
from archsim.errors import UserError
from archsim.faults import ChipDrawer, FaultInjector, get_fault_model
from archsim.faults.labformats import export_defect_map, import_defect_map
from archsim.mapping.geometry import Geometry
from archsim.mapping.mapper import map_model
from archsim.nets import get_net, net_info

ISAAC = Geometry(128, 128, 2, 16, "offset", 8, 12, 168, 64, "isaac")
HEADER = "chip,tile,ima,crossbar,row,column,state\n"


def _setup():
    model = TinyNet()
    mapping = map_model(model, (1, 8, 8), ISAAC, model_name="tiny")
    return model, mapping, FaultInjector(model, mapping).sites


def test_a_hand_placed_csv_lands_on_the_cells_the_layout_gives(tmp_path: Path) -> None:
    _, mapping, sites = _setup()
    conv1 = mapping.layer("conv1").blocks[0]
    assert (conv1.chip, conv1.tile, conv1.ima, conv1.crossbar) == (0, 0, 0, 0)
    # 16-bit weights in 2-bit cells: 8 cells per weight side by side along a crossbar row.
    # Row 0, column 0 is weight (output 0, matrix row 0), cell 0: flat cell index 0.
    # Row 3, column 9 is output 1 (columns 8-15), cell 1, matrix row 3: conv1 has 9 matrix
    # rows (1 channel x 3 x 3), so ((1 * 9) + 3) * 8 + 1 = 97.
    path = tmp_path / "lab.csv"
    path.write_text(HEADER + "0,0,0,0,0,0,1\n0,0,0,0,3,9,2\n0,0,0,0,100,0,1\n")
    chip, summary = import_defect_map(path, sites, mapping)
    layer = chip.layers["conv1"]
    assert layer.index.tolist() == [0, 97] and layer.kind.tolist() == [1, 2]
    # row 100 holds no weight of conv1 (9 rows used): read and ignored
    assert (summary.faulty_cells, summary.ignored_cells) == (3, 1)
    assert all(chip.layers[name].faults == 0 for name in chip.layers if name != "conv1")


@pytest.mark.parametrize("preset", ["cell-isaac", "row-isaac", "column-isaac"])
def test_npz_and_csv_round_trip_the_cell_map(tmp_path: Path, preset: str) -> None:
    _, mapping, sites = _setup()
    chip = ChipDrawer(sites, get_fault_model(preset)).draw(0.05, 3, 1)
    for suffix in (".npz", ".csv"):
        path = export_defect_map(tmp_path / f"chip{suffix}", chip, sites, mapping)
        back, summary = import_defect_map(path, sites, mapping)
        assert summary.ignored_cells == 0 and summary.used == summary.crossbars
        for name, states in chip.dense().items():
            assert torch.equal(back.dense()[name], states), (suffix, name)


def test_a_row_fault_is_a_line_of_the_crossbar(tmp_path: Path) -> None:
    _, mapping, sites = _setup()
    chip = ChipDrawer(sites, get_fault_model("row-isaac")).draw(0.2, 0, 0)
    arrays = np.load(export_defect_map(tmp_path / "rows.npz", chip, sites, mapping))
    xbar = arrays["chip0.tile0.ima0.xbar0"]  # conv1: 9 rows x 8 weights x 8 cells
    used = xbar[:9, :64]
    faulty_rows = np.flatnonzero(used.any(axis=1))
    assert len(faulty_rows) > 0
    assert (used[faulty_rows] != 0).all()  # a stuck row takes every cell on it


def _error(tmp_path: Path, name: str, write, match: str) -> None:
    _, mapping, sites = _setup()
    path = tmp_path / name
    write(path)
    with pytest.raises(UserError, match=match) as info:
        import_defect_map(path, sites, mapping)
    assert "\n" not in str(info.value)


def _npz(arrays: dict) -> object:
    return lambda path: np.savez(path, **arrays)


def test_maps_that_do_not_fit_are_one_line_errors(tmp_path: Path) -> None:
    ok = np.zeros((128, 128), np.int8)
    _error(
        tmp_path,
        "a.npz",
        _npz({"chip0.tile0.ima0.xbar0": np.zeros((64, 128), np.int8)}),
        "is 64x128, the crossbars are 128x128",
    )
    _error(tmp_path, "b.npz", _npz({"chip0.tile0.ima0.xbar0": ok + 3}), "holds state 3")
    _error(
        tmp_path,
        "c.npz",
        _npz({"chip0.tile0.ima0.xbar0": ok}),
        r"covers 1 of the \d+ crossbars the mapping uses; missing chip0.tile0.ima1.xbar0",
    )
    _error(tmp_path, "d.npz", _npz({"layer1": ok}), "not named like chip0.tile0.ima0.xbar0")
    _error(
        tmp_path,
        "e.npz",
        _npz({"chip0.tile0.ima12.xbar0": ok}),
        r"ima 12 is outside the node \(ima indices run 0..11\)",
    )
    _error(tmp_path, "f.npz", _npz({"chip0.tile0.ima0.xbar0": ok.astype(float)}), "float64")
    _error(tmp_path, "a.csv", lambda p: p.write_text("x,y\n"), "the header must be")
    _error(
        tmp_path,
        "b.csv",
        lambda p: p.write_text(HEADER + "0,0,0,0,1,1\n"),
        "line 2 is not 7 integers",
    )
    _error(
        tmp_path,
        "c.csv",
        lambda p: p.write_text(HEADER + "0,0,0,0,1,1,1\n0,0,0,0,1,1,2\n"),
        "cell 0,0,0,0,1,1 is listed more than once",
    )
    _error(
        tmp_path,
        "d.csv",
        lambda p: p.write_text(HEADER + "0,0,0,0,128,1,1\n"),
        "line 2: row/column outside the 128x128 crossbar",
    )
    _error(
        tmp_path,
        "e.csv",
        lambda p: p.write_text(HEADER + "64,0,0,0,0,1,1\n"),
        "chip 64 is outside the node",
    )
    _error(tmp_path, "f.txt", lambda p: p.write_text(""), "suffix must be .npz or .csv")


def test_weight_level_maps_have_no_cell_positions(tmp_path: Path) -> None:
    _, mapping, sites = _setup()
    chip = ChipDrawer(sites, get_fault_model("dropconnect")).draw(0.1, 0, 0)
    with pytest.raises(UserError, match="weight-level fault map has no cell positions"):
        export_defect_map(tmp_path / "w.npz", chip, sites, mapping)
    assert not list(tmp_path.iterdir())


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    images, labels, _, _ = digits()
    name = f"{Path(__file__).parent / 'user_models' / 'funcnet.py'}:make"
    model = get_net(name)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for step in range(30):
        idx = torch.randint(0, len(images), (128,), generator=torch.Generator().manual_seed(step))
        loss = torch.nn.functional.cross_entropy(model(images[idx]), labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    path = tmp_path_factory.mktemp("maps") / "tiny.safetensors"
    save_checkpoint(
        path,
        model.eval(),
        {
            "net": name,
            "width": 1.0,
            "options": {"base": 8},
            "num_classes": 10,
            "in_channels": 1,
            "dataset": "digits",
            "method": "standard",
            "seed": 0,
            "input_shape": [1, 8, 8],
            "model_source": net_info(name).source_digest,  # what naming the model is checked by
        },
    )
    return path


def _cli(*args: str) -> dict:
    result = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_export_import_and_identical_evaluation_from_the_cli(
    checkpoint: Path, tmp_path: Path
) -> None:
    # a checkpoint of a user model loads only with the model named by the user
    name = f"{Path(__file__).parent / 'user_models' / 'funcnet.py'}:make"
    ckpt = ["--checkpoint", str(checkpoint), "--model", name]
    for suffix in (".safetensors", ".npz", ".csv"):
        _cli(
            "faults",
            "export",
            *ckpt,
            "--rate",
            "0.1",
            "--chip",
            "2",
            "--output",
            str(tmp_path / f"chip{suffix}"),
        )
    imported = _cli(
        "faults",
        "import",
        str(tmp_path / "chip.csv"),
        *ckpt,
        "--output",
        str(tmp_path / "imported.safetensors"),
    )["rows"][0]
    assert imported["ignored_cells"] == 0 and imported["faulty_cells"] > 0
    results = [
        _cli("evaluate", "--no-progress", *ckpt, "--fault-map", str(tmp_path / name))
        for name in ("chip.safetensors", "chip.npz", "chip.csv", "imported.safetensors")
    ]
    rows = [r["rows"][0] for r in results]
    assert rows[0]["mean"] < rows[0]["quant_acc_train_bn"]  # 10% stuck cells do hurt
    assert all(r["mean"] == rows[0]["mean"] for r in rows)
    assert all(r["faulty_fraction"] == rows[0]["faulty_fraction"] for r in rows)
    assert all(r["per_chip"] == results[0]["per_chip"] for r in results)


def test_the_example_file_in_docs_imports_as_documented() -> None:
    from archsim.mapping.mapper import map_net
    from archsim.nets import get_net as build

    example = Path(__file__).parent.parent / "docs" / "examples" / "lenet5-digits-isaac-defects.csv"
    model = build("lenet5")
    mapping = map_net("lenet5", 1.0, "isaac", (1, 8, 8))
    sites = FaultInjector(model, mapping).sites
    chip, summary = import_defect_map(example, sites, mapping)
    # 2 cells + a 25-cell column on conv1, a 2x2 blob on conv2, one unused cell (ignored)
    assert (summary.faulty_cells, summary.ignored_cells) == (32, 1)
    assert chip.layers["conv1"].faults == 27 and chip.layers["conv2"].faults == 4
    # column 3 is weight column 0, cell 3: every matrix row r of output 0 -> r * 8 + 3
    column = sorted(i for i in chip.layers["conv1"].index.tolist() if i % 8 == 3)
    assert column == [r * 8 + 3 for r in range(25)]
