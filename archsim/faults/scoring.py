"""Score a forward pass on a test set in batches: which images it classifies correctly."""

from collections.abc import Callable

import torch
from torch import Tensor, nn


def correct_over_batches(
    model: nn.Module,
    forward: Callable[[Tensor], Tensor],
    images: Tensor,
    labels: Tensor,
    batch_size: int,
) -> Tensor:
    """Whether `forward` (logits with classes last, e.g. [B, K] or [chips, B, K]) gets each
    image right, concatenated along the image dimension; `model` in eval mode, no gradients."""
    if len(images) == 0:
        raise ValueError("no images to evaluate")
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    hits = []
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            x = images[start : start + batch_size].to(device, non_blocking=True)
            y = labels[start : start + batch_size].to(device, non_blocking=True)
            hits.append((forward(x).argmax(dim=-1) == y).cpu())
    model.train(was_training)
    return torch.cat(hits, dim=-1)
