"""Training-time fault sampling: rates, stuck values, gradients, fresh draws per call."""

import pytest
import torch
from faults_support import TinyNet, toy_mapping
from scipy import stats
from torch.func import functional_call

from archsim.errors import UserError
from archsim.faults import (
    cell_formats,
    get_fault_model,
    rram_layer_names,
    sample_faulty_weights,
    sample_model_faults,
)
from archsim.faults.sites import CellFormat


def _weight() -> torch.Tensor:
    torch.manual_seed(0)
    return torch.randn(64, 32, 3, 3, requires_grad=True)


def test_weight_faults_rate_values_and_gradient() -> None:
    w = _weight()
    gen = torch.Generator().manual_seed(1)
    out = sample_faulty_weights(w, 0.1, "sft", gen)
    off, on = out == 0, (out.abs() == w.abs().max()) & (w.abs() != w.abs().max())
    n, faulty = w.numel(), int(off.sum() + on.sum())
    lo, hi = stats.binom.interval(0.999, n, 0.1)
    assert lo <= faulty <= hi
    lo, hi = stats.binom.interval(0.999, faulty, 9.04 / 10.79)
    assert lo <= int(on.sum()) <= hi
    assert torch.equal(torch.sign(out[on]), torch.sign(w[on]))  # sign kept
    kept = ~(off | on)
    assert torch.equal(out[kept], w[kept])
    coeff = torch.randn_like(w)
    (out * coeff).sum().backward()
    assert w.grad is not None
    assert torch.equal(w.grad[kept], coeff[kept]) and float(w.grad[~kept].abs().sum()) == 0.0


def test_fresh_draw_each_call_and_reproducible_from_the_seed() -> None:
    w = _weight().detach()
    gen = torch.Generator().manual_seed(3)
    first, second = (sample_faulty_weights(w, 0.2, "dropconnect", gen) for _ in range(2))
    assert not torch.equal(first == 0, second == 0)
    again = sample_faulty_weights(w, 0.2, "dropconnect", torch.Generator().manual_seed(3))
    assert torch.equal(first, again)
    assert torch.equal(sample_faulty_weights(w, 0.0, "sft", gen), w)


def test_cell_faults_only_touch_hit_weights_with_straight_through_gradient() -> None:
    # codes -10923 and 10922 are stored (offset 2**15) as 0b0101...01 and 0b1010...10: every
    # slice is 1 or 2, so any stuck cell changes the weight; 32767 fixes the scale at 1.0
    signs = torch.randint(0, 2, (20000,), generator=torch.Generator().manual_seed(0))
    values = torch.where(signs == 1, 10922.0, -10923.0)
    w = torch.cat([values, torch.tensor([32767.0])]).requires_grad_(True)
    fmt = CellFormat.of(16, 2, "offset")
    out = sample_faulty_weights(w, 0.01, "cell-isaac", torch.Generator().manual_seed(0), fmt)
    changed = out[:-1] != w[:-1]
    lo, hi = stats.binom.interval(0.999, len(values), 1 - 0.99**8)
    assert lo <= int(changed.sum()) <= hi
    assert torch.equal(out[:-1][~changed], w[:-1][~changed])
    out.sum().backward()
    assert w.grad is not None and torch.equal(w.grad, torch.ones_like(w))
    with pytest.raises(UserError, match="cell format"):
        sample_faulty_weights(w, 0.1, "cell-isaac", torch.Generator())
    with pytest.raises(UserError):
        sample_faulty_weights(w, 0.1, get_fault_model("row-isaac"), torch.Generator())


def test_model_faults_through_functional_call() -> None:
    torch.manual_seed(0)
    model = TinyNet(width=8).train()
    mapping = toy_mapping(model)
    names = rram_layer_names(mapping)
    assert names == ["conv1", "conv3", "fc"]
    gen = torch.Generator().manual_seed(0)
    weights = sample_model_faults(model, names, 0.3, "cell-isaac", gen, cell_formats(mapping))
    assert set(weights) == {"conv1.weight", "conv3.weight", "fc.weight"}
    before = model.bn1.running_mean.clone()
    x = torch.randn(4, 1, 8, 8)
    functional_call(model, weights, (x,)).sum().backward()
    assert not torch.equal(model.bn1.running_mean, before)  # BN statistics still update
    for name in ("conv1", "conv2", "conv3", "fc"):
        assert getattr(model, name).weight.grad is not None
