"""User networks (`file.py:factory`, `module:factory`) through `archsim map`, `train` and
`evaluate` from the command line (archsim/nets/user.py)."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archsim.cli import cli
from archsim.nets import get_net, net_info

FUNCNET = str(Path(__file__).parent / "user_models" / "funcnet.py")
FAST = [
    "--limit",
    "128",
    "--val-limit",
    "60",
    "--batch-size",
    "64",
    "--val-chips",
    "1",
    "--no-progress",
    "--epochs",
    "2",
    "--lr",
    "0.05",
]


def _ok(args: list[str]) -> dict:
    result = CliRunner().invoke(cli, [*args, "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _error(args: list[str]) -> str:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0, result.output
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def test_map_lists_every_op_of_a_user_file_with_its_options_and_width() -> None:
    out = _ok(["map", "--model", f"{FUNCNET}:make", "--option", "base=4", "--width", "2"])
    rows = [(r["layer"], r["target"]) for r in out["rows"]]
    assert rows == [
        ("conv1", "rram"),
        ("relu", "digital"),
        ("conv2", "rram"),
        ("relu_1", "digital"),
        ("add", "digital"),
        ("adaptive_avg_pool2d", "digital"),
        ("flatten", "digital"),
        ("fc", "rram"),
    ]
    # base 4 at width 2 -> 8 channels: conv2 is 8*8 pixels * 8 * 8 * 9 = 36864 MACs
    conv2 = next(r for r in out["rows"] if r["layer"] == "conv2")
    assert conv2["macs"] == 36864
    assert out["setup"]["input_shape"] == "1,8,8"  # the file's INPUT_SHAPE


def test_module_factory_and_the_documented_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(Path(FUNCNET).parent))
    assert net_info("funcnet:make").options == {"base": 8}
    assert get_net("funcnet:make", width=0.5).fc.in_features == 4
    assert "takes no width argument" in _error(
        ["map", "--model", f"{FUNCNET}:fixed", "--width", "2"]
    )
    assert "has no callable 'nope'; it defines: FuncNet, fixed, make" in _error(
        ["map", "--model", f"{FUNCNET}:nope"]
    )
    assert "unknown option 'bse'; known options: base" in _error(
        ["map", "--model", f"{FUNCNET}:make", "--option", "bse=3"]
    )
    assert "does not exist" in _error(["map", "--model", "no/such.py:make"])
    assert "cannot import module" in _error(["map", "--model", "no_such_module_xyz:make"])


def test_unsupported_op_from_the_cli_is_an_error_unless_allowed(tmp_path: Path) -> None:
    source = tmp_path / "cum.py"
    source.write_text(
        "import torch\nfrom torch import nn\n\n"
        "class Cum(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(64, 10)\n"
        "    def forward(self, x):\n        return self.fc(torch.cumsum(x.flatten(1), 1))\n\n"
        "def make():\n    return Cum()\n"
    )
    assert "cumsum cannot be mapped" in _error(["map", "--model", f"{source}:make"])
    out = _ok(["map", "--model", f"{source}:make", "--allow-unsupported"])
    assert out["totals"]["left_out"] == "cumsum"
    assert any("left out of every cost and total" in n for n in out["notes"])


def test_a_user_file_trains_and_evaluates_from_the_cli(tmp_path: Path) -> None:
    source = tmp_path / "net.py"
    source.write_text(Path(FUNCNET).read_text())
    model = f"{source}:make"
    row = _ok(["train", "--model", model, "--dataset", "digits", "--out", str(tmp_path), *FAST])[
        "rows"
    ][0]
    checkpoint = tmp_path / "net-make-w1-digits-standard.safetensors"
    assert row["checkpoint"] == str(checkpoint) and not row["cached"]
    again = _ok(["train", "--model", model, "--out", str(tmp_path), *FAST])["rows"][0]
    assert again["cached"]
    run = ["evaluate", "--checkpoint", str(checkpoint), "--chips", "2", "--fault-rate", "0,0.1"]
    # the checkpoint names its code but never imports it: the user names it, or it is refused
    assert "never runs code by itself" in _error(run)
    evaluated = _ok([*run, "--model", model])
    assert [r["rate"] for r in evaluated["rows"]] == [0.0, 0.1]
    assert evaluated["model"] == str(source.resolve()) + ":make"
    # editing the code makes the cached checkpoint stale: the run trains again
    source.write_text(Path(FUNCNET).read_text().replace("base: int = 8", "base: int = 6"))
    assert "is not the code" in _error([*run, "--model", model])  # not the trained code
    edited = _ok(["train", "--model", model, "--out", str(tmp_path), *FAST])["rows"][0]
    assert not edited["cached"]


def test_a_sweep_spec_takes_a_user_model_keyed_on_its_code(tmp_path: Path) -> None:
    from archsim.explore.expand import expand
    from archsim.explore.resolve import resolve_datasets
    from archsim.explore.spec import spec_from_dict

    source = tmp_path / "net.py"
    source.write_text(Path(FUNCNET).read_text())
    spec = spec_from_dict(
        {
            "name": "u",
            "dataset": "digits",
            "widths": [1.0, 0.5],
            "models": [{"net": f"{source}:make", "label": "funcnet", "options": {"base": 4}}],
            "training": {"epochs": 1, "methods": ["standard"]},
            "faults": {"rates": [0.1], "chips": 2},
            "cost": {"paper_table": False},
        }
    )

    def train_keys() -> list[str]:
        shapes = resolve_datasets(spec)
        assert shapes["funcnet"].options == {"base": 4}
        return [j.key for j in expand(spec, shapes).jobs if j.kind == "train"]

    first = train_keys()
    assert len(first) == 2 and first == train_keys()
    source.write_text(source.read_text() + "\n# edited\n")
    assert set(train_keys()).isdisjoint(first)


def test_a_model_card_for_a_user_model(tmp_path: Path) -> None:
    card = tmp_path / "funcnet-digits.yaml"
    card.write_text(
        f"name: funcnet-digits\ndescription: my net on the digits\narchitecture: {FUNCNET}:make\n"
        "options: {base: 4}\ndataset: digits\ninput_shape: [1, 8, 8]\nnum_classes: 10\n"
        "training: {optimizer: adam, epochs: 1, lr: 0.01, weight_decay: 0.0, batch_size: 32,"
        " schedule: {kind: constant}}\nsource: written for this test\n"
    )
    row = _ok(
        [
            "train",
            "--model",
            f"{FUNCNET}:make",
            "--card",
            str(card),
            "--option",
            "base=4",
            "--out",
            str(tmp_path),
            "--limit",
            "64",
            "--val-limit",
            "30",
            "--val-chips",
            "1",
            "--no-progress",
        ]
    )
    assert row["card"] == "funcnet-digits" and row["options"] == "base=4"
    assert row["rows"][0]["epochs"] == 1  # the card's recipe


def test_your_own_network_keeps_its_1x1_convs_on_crossbars_by_default() -> None:
    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, ["map", "--estimator", "analytic", *args])
        assert result.exit_code == 0, result.output
        return result.output

    own = run("--model", f"{FUNCNET}:make", "--option", "base=4")
    assert "policy: all-rram" in own.splitlines()
    assert "placement: all-rram (default for your own network" in own
    asked = run("--model", f"{FUNCNET}:make", "--option", "base=4", "--policy", "cpu-1x1")
    assert "policy: cpu-1x1" in asked.splitlines() and "placement:" not in asked
    zoo = run("--model", "lenet5")
    assert "placement: cpu-1x1 (default for a zoo net" in zoo


def test_default_placements_and_their_reasons() -> None:
    from archsim.api.mapping import default_policy

    assert default_policy("resnet20", "all-rram", "fashion-mnist") == ("all-rram", "")  # asked
    assert default_policy("resnet20", None, "digits")[0] == "cpu-1x1"
    policy, reason = default_policy("resnet20", None, "fashion-mnist")
    assert policy == "cpu-1x1-ends" and "one input channel" in reason
    assert default_policy("vit", None, "fashion-mnist")[0] == "cpu-1x1"
    assert default_policy("nets.py:make", None, "fashion-mnist")[0] == "all-rram"
