"""The zoo's vision transformer: weight matmuls on crossbars, attention's activation matmuls,
softmax and layer norms off them with their cost, faults on the crossbar weights only, and a
short training run on the digits from the CLI."""

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from archsim.cli import cli
from archsim.faults import ChipDrawer, FaultInjector, get_fault_model
from archsim.mapping.geometry import Geometry
from archsim.mapping.mapper import map_net
from archsim.mapping.options import MapOptions
from archsim.nets import get_net
from archsim.perf.plan import build_plans
from tests.test_perf_des import COSTS

ISAAC = Geometry(128, 128, 2, 16, "offset", 8, 12, 168, 64, "isaac")
WEIGHTS = (
    "patch_embed",
    "blocks.0.attn.qkv",
    "blocks.0.attn.proj",
    "blocks.0.fc1",
    "blocks.0.fc2",
    "blocks.1.attn.qkv",
    "blocks.1.attn.proj",
    "blocks.1.fc1",
    "blocks.1.fc2",
    "head",
)


def test_weight_matmuls_on_crossbars_attention_off_them_with_hand_macs() -> None:
    m = map_net("vit", 1.0, ISAAC)
    by_name = {lm.spec.name: lm for lm in m.layers}
    assert [lm.spec.name for lm in m.rram_layers] == list(WEIGHTS)
    # 8x8 input, 2x2 patches: 16 tokens of dim 2 heads x 16 = 32. Q/K/V: 16 x 32 x 96 MACs;
    # Q K^T per head 16 x 16 scores over 16 -> 2 x 4096; A V: 2 x 16 x 16 outputs over 16.
    assert by_name["blocks.0.attn.qkv"].spec.macs == 16 * 32 * 96
    assert by_name["blocks.0.attn.qkv"].spec.output_pixels == 16  # one MVM per token
    for name in ("blocks.0.attn.matmul", "blocks.0.attn.matmul_1"):
        assert (by_name[name].target, by_name[name].spec.macs) == ("cpu", 8192)
    assert m.cpu_macs == 4 * 8192
    kinds = {lm.spec.kind: lm.target for lm in m.layers if lm.target != "rram"}
    assert kinds["softmax"] == kinds["norm"] == kinds["act"] == kinds["add"] == "digital"
    plans = {p.name: p for p in build_plans(m, COSTS)}
    # softmax over 2 x 16 x 16 scores, 3 ops each; layer norm of 16 x 32 values, 5 ops each
    assert plans["blocks.0.attn.softmax"].action_counts == {"tile.sigmoid/op": 3 * 512.0}
    assert plans["blocks.0.norm1"].action_counts == {"tile.shift_add/op": 5 * 512.0}
    assert plans["blocks.0.attn.matmul"].action_counts["cpu/mac"] == 8192
    # q (2 x 16 x 16) and k^T (2 x 16 x 16) go over the link at 4 bits, the scores come back
    assert plans["blocks.0.attn.matmul"].action_counts["cpu.link/bit"] == (
        512 * 4 + 512 * 4 + 512 * 8
    )


def test_the_attention_digital_policy_keeps_the_matmuls_on_the_tiles() -> None:
    m = map_net("vit", 1.0, ISAAC, options=MapOptions(policy="attention-digital"))
    matmul = m.layer("blocks.0.attn.matmul")
    assert matmul.target == "digital" and "attention-digital" in matmul.reason
    assert m.cpu_macs == 0
    plans = {p.name: p for p in build_plans(m, COSTS)}
    # 8192 MACs, each a bit-serial multiply of 4 input bits on the shift-and-add units
    assert plans["blocks.0.attn.matmul"].action_counts == {"tile.shift_add/op": 8192 * 4.0}


def test_faults_fall_on_the_crossbar_weights_only() -> None:
    model = get_net("vit")
    m = map_net("vit", 1.0, ISAAC)
    injector = FaultInjector(model, m)
    assert [s.name for s in injector.sites] == list(WEIGHTS)
    chip = ChipDrawer(injector.sites, get_fault_model("sft")).draw(0.2, 0, 0)
    faulted = injector.faulted_weights(chip)
    assert set(faulted) == set(WEIGHTS)
    assert not torch.equal(
        faulted["blocks.0.attn.qkv"], model.get_submodule("blocks.0.attn.qkv").weight
    )


def test_width_scales_the_head_dimension() -> None:
    # dim = heads x floor(16 x width): 2 x 22 = 44 at width 1.4, MLP hidden 2 x 44
    net = get_net("vit", width=1.4)
    assert net.patch_embed.out_channels == 44 and net.blocks[0].fc1.out_features == 88


def test_28x28_inputs_with_larger_patches() -> None:
    m = map_net("vit", 1.0, ISAAC, (1, 28, 28), net_options={"image_size": 28, "patch": 7})
    assert m.layer("patch_embed").spec.out_shape == (32, 4, 4)  # 16 tokens of 7x7 pixels
    assert m.layer("patch_embed").spec.matrix_rows == 49


def test_vit_trains_on_the_digits_from_the_cli(tmp_path: Path) -> None:
    args = [
        "train",
        "--model",
        "vit",
        "--dataset",
        "digits",
        "--epochs",
        "2",
        "--limit",
        "128",
        "--val-limit",
        "40",
        "--val-chips",
        "1",
        "--no-progress",
        "--out",
        str(tmp_path),
        "--format",
        "json",
    ]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["card"] == "vit-digits" and payload["rows"][0]["epochs"] == 2
    assert (tmp_path / "vit-w1-digits-standard.safetensors").is_file()


def test_bad_patch_is_one_line() -> None:
    from archsim.errors import UserError

    with pytest.raises(UserError, match="image_size 8 is not a multiple of patch 3"):
        get_net("vit", patch=3)
