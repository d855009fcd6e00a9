"""Drop-connect: fresh masks per mini-batch at the set rate, only on RRAM layers, exact math."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from archsim.errors import UserError
from archsim.faults.inject import rram_layer_names
from archsim.mapping.mapper import map_model
from archsim.mapping.options import MapOptions
from archsim.nets import get_net
from archsim.train.dropconnect import DropConnect, drop_connect
from archsim.train.perturb import layer_weights

SHAPE = (1, 8, 8)


def _net_and_layers(policy: str = "cpu-1x1") -> tuple[nn.Module, list[str]]:
    model = get_net("resnet20", 1.0, 10, 1, shortcut="1x1")
    mapping = map_model(model, SHAPE, "isaac", options=MapOptions(policy=policy))
    return model, rram_layer_names(mapping)


def _binomial_ok(dropped: int, n: int, p: float) -> bool:
    """Within the 99.9% normal-approximation interval of Binomial(n, p)."""
    return abs(dropped - n * p) <= 3.29 * math.sqrt(n * p * (1 - p))


def test_masks_fresh_every_forward_and_at_the_set_rate() -> None:
    model, layers = _net_and_layers()
    sampler = DropConnect(0.3, torch.Generator().manual_seed(0))
    x = torch.randn(4, *SHAPE)
    seen: list[dict[str, torch.Tensor]] = []
    with drop_connect(model, layers, sampler):
        for _ in range(3):
            model(x)
            seen.append(dict(sampler.last_masks))
    assert set(seen[0]) == set(layers)
    for name in layers:  # a new mask on every pass, for every layer
        assert not torch.equal(seen[0][name], seen[1][name])
        assert not torch.equal(seen[1][name], seen[2][name])
    for masks in seen:
        n = sum(m.numel() for m in masks.values())
        dropped = sum(int((~m).sum()) for m in masks.values())
        assert _binomial_ok(dropped, n, 0.3), (dropped, n)


def test_same_seed_same_masks_and_model_restored_after() -> None:
    model, layers = _net_and_layers()
    x = torch.randn(2, *SHAPE)
    runs = []
    for _ in range(2):
        sampler = DropConnect(0.2, torch.Generator().manual_seed(7))
        with drop_connect(model, layers, sampler):
            model(x)
        runs.append(sampler.last_masks)
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in layers)
    assert not any(parametrize.is_parametrized(m) for m in model.modules())
    assert "layer1.0.conv1.weight" in model.state_dict()


@pytest.mark.parametrize("rescale", [True, False])
def test_layer_computes_with_masked_scaled_weight(rescale: bool) -> None:
    conv = nn.Conv2d(3, 5, 3, padding=1)
    model = nn.Sequential(conv)
    sampler = DropConnect(0.4, torch.Generator().manual_seed(1), rescale=rescale)
    x = torch.randn(2, 3, 6, 6)
    with drop_connect(model, ["0"], sampler):
        out = model(x)
    mask = sampler.last_masks["0"]
    scale = 1 / 0.6 if rescale else 1.0
    expected = F.conv2d(x, conv.weight * mask * scale, conv.bias, padding=1)
    torch.testing.assert_close(out, expected)


def test_gradients_only_through_kept_weights() -> None:
    model, layers = _net_and_layers()
    sampler = DropConnect(0.5, torch.Generator().manual_seed(3))
    weights = layer_weights(model, layers)
    x, y = torch.randn(8, *SHAPE), torch.randint(0, 10, (8,))
    with drop_connect(model, layers, sampler):
        F.cross_entropy(model(x), y).backward()
    for name in layers:
        grad, keep = weights[name].grad, sampler.last_masks[name]
        assert grad is not None
        assert torch.count_nonzero(grad[~keep]) == 0
        assert torch.count_nonzero(grad[keep]) > 0.5 * keep.sum()


@pytest.mark.parametrize("policy", ["cpu-1x1", "cpu-1x1-ends"])
def test_cpu_routed_layers_are_never_masked(policy: str) -> None:
    model, layers = _net_and_layers(policy)
    shortcuts = [
        n for n, m in model.named_modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1)
    ]
    assert shortcuts and not set(shortcuts) & set(layers)
    if policy == "cpu-1x1-ends":
        assert "conv1" not in layers
    cpu = [
        n
        for n, m in model.named_modules()
        if isinstance(m, nn.Conv2d | nn.Linear) and n not in layers
    ]
    before = {n: dict(model.named_modules())[n].weight.detach().clone() for n in cpu}
    sampler = DropConnect(0.9, torch.Generator().manual_seed(0))
    used: dict[str, torch.Tensor] = {}

    def record(name: str):  # what weight each CPU layer really computes with
        return lambda mod, args: used.__setitem__(name, mod.weight.detach().clone())

    modules = dict(model.named_modules())
    handles = [modules[n].register_forward_pre_hook(record(n)) for n in cpu]
    with drop_connect(model, layers, sampler):
        model(torch.randn(2, *SHAPE))
        for name, module in model.named_modules():
            assert parametrize.is_parametrized(module, "weight") == (name in layers)
    for h in handles:
        h.remove()
    assert set(sampler.last_masks) == set(layers)
    for name in cpu:
        assert torch.equal(used[name], before[name])


def test_rate_must_be_below_one() -> None:
    with pytest.raises(UserError, match=r"\[0, 1\)"):
        DropConnect(1.0, torch.Generator())
