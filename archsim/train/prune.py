"""Weight pruning of the RRAM layers: one-shot magnitude and ADMM, masks kept afterwards.

Both prune every RRAM layer to the same target sparsity (fraction of its weights set to 0),
keeping the largest magnitudes; ties are broken by `topk`, so exactly
`n - round(sparsity * n)` weights survive per layer.

- magnitude (Han et al. 2015, the stochastic-training paper's "one-shot pruning"): prune once,
  then train with the mask kept.
- ADMM (Zhang et al. 2018): minimise loss + rho/2 * sum_l ||W_l - Z_l + U_l||^2, with
  Z = projection of (W + U) onto the sparse set and U += W - Z once per epoch; then hard-prune W
  to its projection and train with that mask kept.

"Mask kept" (`PruneMasks`): gradients of pruned weights are zeroed before each optimizer step
(so momentum never builds up for them) and the weights re-zeroed after it (weight decay and
momentum cannot move a zero weight, but this makes it exact whatever the optimizer does).
A checkpoint stores pruning in its metadata; training `--from` it rebuilds the mask as the
non-zero weights, so pruned weights stay zero through any later fault-aware training.
"""

from collections.abc import Mapping

import torch
from torch import Tensor

from archsim.errors import UserError


def check_sparsity(sparsity: float) -> float:
    value = float(sparsity)
    if not 0.0 <= value < 1.0:
        raise UserError(f"sparsity must be in [0, 1), got {sparsity}")
    return value


def keep_count(numel: int, sparsity: float) -> int:
    """Weights a layer of `numel` weights keeps at `sparsity` (at least one)."""
    return max(1, numel - round(sparsity * numel))


def magnitude_mask(weight: Tensor, sparsity: float) -> Tensor:
    """Boolean mask (weight's shape) keeping the `keep_count` largest |w|."""
    flat = weight.detach().abs().flatten()
    keep = torch.zeros_like(flat, dtype=torch.bool)
    keep[torch.topk(flat, keep_count(flat.numel(), sparsity), sorted=False).indices] = True
    return keep.view_as(weight)


def project(weight: Tensor, sparsity: float) -> Tensor:
    """Euclidean projection onto tensors with at most `keep_count` non-zeros."""
    return weight * magnitude_mask(weight, sparsity)


class PruneMasks:
    """Per-layer keep-masks enforced during training (True = weight kept)."""

    def __init__(self, masks: Mapping[str, Tensor]) -> None:
        self.masks = dict(masks)

    @classmethod
    def by_magnitude(cls, weights: Mapping[str, Tensor], sparsity: float) -> "PruneMasks":
        return cls({name: magnitude_mask(w, sparsity) for name, w in weights.items()})

    @classmethod
    def from_zeros(cls, weights: Mapping[str, Tensor]) -> "PruneMasks":
        """The masks of an already pruned model: its non-zero weights."""
        return cls({name: w.detach() != 0 for name, w in weights.items()})

    @torch.no_grad()
    def apply_(self, weights: Mapping[str, Tensor]) -> None:
        """Zero the pruned weights in place."""
        for name, mask in self.masks.items():
            weights[name].mul_(mask.to(weights[name].dtype))

    @torch.no_grad()
    def mask_grads_(self, weights: Mapping[str, Tensor]) -> None:
        for name, mask in self.masks.items():
            grad = weights[name].grad
            if grad is not None:
                grad.mul_(mask.to(grad.dtype))

    def sparsity(self) -> float:
        """Fraction of the masked layers' weights that are pruned."""
        total = sum(m.numel() for m in self.masks.values())
        kept = sum(int(m.sum()) for m in self.masks.values())
        return 1.0 - kept / total if total else 0.0


class ADMM:
    """ADMM pruning state: auxiliary Z (sparse) and scaled dual U per layer."""

    def __init__(self, weights: Mapping[str, Tensor], sparsity: float, rho: float) -> None:
        if rho <= 0:
            raise UserError(f"ADMM rho must be positive, got {rho}")
        self.sparsity = check_sparsity(sparsity)
        self.rho = rho
        with torch.no_grad():
            self.z = {name: project(w.detach(), sparsity) for name, w in weights.items()}
            self.u = {name: torch.zeros_like(w) for name, w in weights.items()}

    def penalty(self, weights: Mapping[str, Tensor]) -> Tensor:
        """rho/2 * sum ||W - Z + U||^2, differentiable in W."""
        terms = [(weights[n] - self.z[n] + self.u[n]).pow(2).sum() for n in self.z]
        return 0.5 * self.rho * torch.stack(terms).sum()

    @torch.no_grad()
    def update(self, weights: Mapping[str, Tensor]) -> None:
        """Z <- project(W + U); U <- U + W - Z (once per epoch)."""
        for name, w in weights.items():
            self.z[name] = project(w + self.u[name], self.sparsity)
            self.u[name] += w - self.z[name]

    def hard_prune(self, weights: Mapping[str, Tensor]) -> PruneMasks:
        """Prune W to its own projection and return the mask to keep from now on."""
        masks = PruneMasks.by_magnitude(weights, self.sparsity)
        masks.apply_(weights)
        return masks

    def state(self) -> dict[str, Tensor]:
        return {
            **{f"z.{k}": v for k, v in self.z.items()},
            **{f"u.{k}": v for k, v in self.u.items()},
        }

    def load_state(self, tensors: Mapping[str, Tensor]) -> None:
        for name in self.z:
            self.z[name] = tensors[f"z.{name}"].to(self.z[name].device)
            self.u[name] = tensors[f"u.{name}"].to(self.u[name].device)
