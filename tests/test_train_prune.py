"""Pruning: exact magnitude masks, ADMM to the target sparsity, and pruned weights staying
zero through later fault-aware training."""

from pathlib import Path
from typing import Any

import pytest
import torch

from archsim.checkpoint import read_checkpoint
from archsim.errors import UserError
from archsim.train import make_spec, train
from archsim.train.prune import ADMM, PruneMasks, keep_count, magnitude_mask, project

BASE: dict[str, Any] = dict(
    model="resnet20",
    dataset="digits",
    limit=256,
    val_limit=90,
    batch_size=64,
    val_chips=1,
    progress=False,
)


def test_magnitude_mask_keeps_exactly_the_largest() -> None:
    w = torch.tensor([[0.5, -0.1, 0.05], [-0.7, 0.2, -0.3]])
    assert magnitude_mask(w, 0.5).tolist() == [[True, False, False], [True, False, True]]
    assert keep_count(6, 0.5) == 3 and keep_count(10, 0.99) == 1
    w = torch.randn(64, 32, 3, 3, generator=torch.Generator().manual_seed(0))
    mask = magnitude_mask(w, 0.7)
    assert int(mask.sum()) == keep_count(w.numel(), 0.7)
    assert w[mask].abs().min() >= w[~mask].abs().max()
    torch.testing.assert_close(project(w, 0.7), w * mask)


def test_admm_updates_follow_the_equations() -> None:
    w = {"a": torch.tensor([3.0, -1.0, 0.5, 2.0])}
    admm = ADMM(w, 0.5, rho=0.1)
    assert admm.z["a"].tolist() == [3.0, 0.0, 0.0, 2.0]
    penalty = admm.penalty(w)  # rho/2 * (1 + 0.25)
    assert float(penalty) == pytest.approx(0.05 * 1.25)
    w["a"] = torch.tensor([2.0, -1.5, 0.5, 1.0])
    admm.update(w)  # Z = project(W + U) with U = 0; U = W - Z
    assert admm.z["a"].tolist() == [2.0, -1.5, 0.0, 0.0]
    assert admm.u["a"].tolist() == [0.0, 0.0, 0.5, 1.0]
    masks = admm.hard_prune(w)
    assert w["a"].tolist() == [2.0, -1.5, 0.0, 0.0] and masks.sparsity() == 0.5


def test_masks_zero_gradients_and_weights() -> None:
    p = torch.nn.Parameter(torch.tensor([1.0, 2.0, 3.0]))
    p.grad = torch.ones(3)
    masks = PruneMasks({"a": torch.tensor([True, False, True])})
    masks.mask_grads_({"a": p})
    masks.apply_({"a": p})
    assert p.grad.tolist() == [1.0, 0.0, 1.0] and p.tolist() == [1.0, 0.0, 3.0]


def _rram_weights(path: Path) -> dict[str, torch.Tensor]:
    data = read_checkpoint(path)
    return {n: data.state[f"{n}.weight"] for n in data.meta["rram_layers"]}


@pytest.mark.parametrize("prune, extra", [("magnitude", {}), ("admm", {"admm_epochs": 1})])
def test_pruned_weights_stay_zero_through_fault_training(
    tmp_path: Path, prune: str, extra: dict
) -> None:
    pruned = train(
        make_spec(**BASE, epochs=1, prune=prune, sparsity=0.6, out_dir=str(tmp_path), **extra)
    )
    assert pruned.sparsity == pytest.approx(0.6, abs=1e-3)
    before = _rram_weights(pruned.checkpoint)
    zeros = sum(int((w == 0).sum()) for w in before.values())
    total = sum(w.numel() for w in before.values())
    assert zeros / total == pytest.approx(0.6, abs=1e-3)
    for method, rate in (("oneshot", 0.05), ("dropconnect", 0.3)):
        tuned = train(
            make_spec(
                **BASE,
                epochs=2,
                method=method,
                rate=rate,
                lr=0.05,
                init_from=str(pruned.checkpoint),
                out_dir=str(tmp_path),
            )
        )
        after = _rram_weights(tuned.checkpoint)
        for name, w in before.items():
            assert torch.all(after[name][w == 0] == 0), name  # every pruned weight still 0
            assert not torch.equal(after[name], w)  # while the others trained
        assert tuned.sparsity == pytest.approx(0.6, abs=1e-3)


def test_sparsity_needs_prune_and_range() -> None:
    with pytest.raises(UserError, match="--sparsity needs --prune"):
        make_spec(sparsity=0.5)
    with pytest.raises(UserError, match="sparsity"):
        make_spec(prune="magnitude", sparsity=1.0)
