"""Max-weight clipping (`--method clipped`): the bound holds after every step, it is a fixed
point, and it shrinks the 8-bit scale and the value a stuck-on weight reads."""

from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from archsim.checkpoint import load_checkpoint
from archsim.cli import cli
from archsim.errors import UserError
from archsim.faults.independent import weight_effect
from archsim.faults.models import STUCK_ON
from archsim.faults.quantize import quantize_weight
from archsim.train.clip import clip_bound, clip_weights_, percentile_abs
from archsim.train.epoch import EpochParts, train_epoch
from archsim.train.resolve import resolve_spec
from archsim.train.spec import make_spec


def _ramp_with_outlier() -> torch.Tensor:
    """100 weights: +-0.01, +-0.02, ..., 0.99 (alternating signs) and one outlier -5.0."""
    w = torch.arange(1, 100, dtype=torch.float32) / 100
    w = w * torch.where(torch.arange(99) % 2 == 0, 1.0, -1.0)
    return torch.cat([w, torch.tensor([-5.0])]).reshape(10, 10)


def test_percentile_is_the_99th_order_statistic() -> None:
    # n = 100: the ceil(0.99 * 100) = 99th smallest |w| is 0.99 (the 100th is the outlier 5)
    assert percentile_abs(_ramp_with_outlier()).item() == pytest.approx(0.99)
    assert clip_bound(_ramp_with_outlier(), 2.0).item() == pytest.approx(1.98)


def test_clip_moves_only_the_outlier_and_is_a_fixed_point() -> None:
    w = _ramp_with_outlier()
    before = w.clone()
    clip_weights_({"fc": w}, 2.0)
    # bound 2 x 0.99 = 1.98: the -5.0 becomes -1.98 (sign kept), the 99 others are untouched
    assert w.reshape(-1)[-1].item() == pytest.approx(-1.98)
    assert torch.equal(w.reshape(-1)[:-1], before.reshape(-1)[:-1])
    # the 99th |w| is still 0.99, so a second clip changes nothing
    assert percentile_abs(w).item() == pytest.approx(0.99)
    again = w.clone()
    clip_weights_({"fc": again}, 2.0)
    assert torch.equal(again, w)


def test_scale_and_stuck_on_value_shrink_to_the_bound() -> None:
    w = _ramp_with_outlier()
    # unclipped: 8-bit scale max|w| / 127 = 5 / 127; a stuck-on weight reads sign(w) * 5
    assert quantize_weight(w, 8).scale.item() == pytest.approx(5.0 / 127)
    clip_weights_({"fc": w}, 1.0)
    # K = 1: max|w| = 0.99, so the scale is 0.99 / 127 (5.05x finer) ...
    assert quantize_weight(w, 8).scale.item() == pytest.approx(0.99 / 127)
    # ... and a stuck-on weight reads sign(w) * 0.99 wherever it sits
    stuck = weight_effect(w, torch.full(w.shape, STUCK_ON, dtype=torch.int8))
    assert torch.allclose(stuck, torch.sign(w) * 0.99)


def _one_step(weight: torch.Tensor, clip: float | None, lr: float) -> nn.Linear:
    layer = nn.Linear(10, 10, bias=False)
    with torch.no_grad():
        layer.weight.copy_(weight)
    model = nn.Sequential(layer)
    images, labels = torch.randn(4, 10, generator=torch.Generator().manual_seed(0)), torch.arange(4)
    parts = EpochParts(["0"], {"0": layer.weight}, clip=clip)
    train_epoch(
        model, [(images, labels)], torch.optim.SGD(model.parameters(), lr), parts, lambda _: lr
    )
    return layer


def test_a_training_step_ends_clipped() -> None:
    # lr 0: the step changes nothing, so the clip's effect is exactly the hand-derived one
    assert _one_step(_ramp_with_outlier(), 1.0, 0.0).weight.abs().max().item() == pytest.approx(
        0.99
    )
    assert _one_step(_ramp_with_outlier(), None, 0.0).weight.abs().max().item() == 5.0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.floats(1.0, 3.0), lr=st.floats(0.0, 1.0))
def test_after_any_step_max_is_at_most_k_times_p99(seed: int, k: float, lr: float) -> None:
    weight = torch.randn(10, 10, generator=torch.Generator().manual_seed(seed)) ** 3
    w = _one_step(weight, k, lr).weight.detach()
    assert w.abs().max() <= k * percentile_abs(w) * (1 + 1e-6)


def test_spec_defaults_validation_and_name() -> None:
    spec = resolve_spec(make_spec(method="clipped"))
    assert spec.clip == 1.0
    assert spec.checkpoint_path().name == "resnet20-w1-digits-clipped-k1.safetensors"
    assert spec.identity()["clip"] == 1.0
    assert "clip" not in make_spec().identity()  # other methods keep their digests
    with pytest.raises(UserError, match="--clip is for --method clipped"):
        make_spec(clip=2.0)
    with pytest.raises(UserError, match="--clip must be a finite multiple >= 1"):
        make_spec(method="clipped", clip=0.5)
    with pytest.raises(UserError, match="--rate needs"):
        make_spec(method="clipped", rate=0.1)


@pytest.mark.slow
def test_cli_trains_a_clipped_resnet20(tmp_path: Path) -> None:
    args = ["train", "--method", "clipped", "--clip", "1.5", "--limit", "128", "--val-limit",
            "60", "--epochs", "1", "--batch-size", "64", "--val-chips", "0", "--no-progress",
            "--out", str(tmp_path)]  # fmt: skip
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    net, meta, _ = load_checkpoint(tmp_path / "resnet20-w1-digits-clipped-k1.5.safetensors")
    assert meta["method"] == "clipped" and meta["spec"]["clip"] == 1.5
    state = net.state_dict()
    for name in meta["rram_layers"]:  # every RRAM layer ends within its bound
        w = state[f"{name}.weight"]
        assert w.abs().max() <= 1.5 * percentile_abs(w) * (1 + 1e-6), name
