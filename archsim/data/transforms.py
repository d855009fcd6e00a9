"""Normalisation of raw pixels and batch-wise augmentation, vectorised in plain torch.

Augmentation works on a whole batch at once (one gather for every crop, one `where` for every
flip) and draws its random numbers only from the caller's generator, so a given generator
state always produces the same augmented batch. Random numbers are drawn on the generator's
device and moved to the batch's device, so a CPU generator also drives a batch on CUDA.
"""

import numpy as np
import torch
from torch import Tensor

from archsim.data.records import Augmentation


def normalise(
    pixels: np.ndarray, max_value: float, mean: tuple[float, ...], std: tuple[float, ...]
) -> Tensor:
    """Raw pixels [N, C, H, W] (any numeric dtype) -> float32 `(p / max_value - mean) / std`."""
    images = torch.from_numpy(np.ascontiguousarray(pixels)).to(torch.float32)
    # one multiply and one subtract in place: two passes over a dataset that can be 200 MB
    shape = (1, len(mean), 1, 1)
    std64 = torch.tensor(std, dtype=torch.float64)
    scale = (1.0 / (max_value * std64)).to(torch.float32).view(shape)
    shift = (torch.tensor(mean, dtype=torch.float64) / std64).to(torch.float32).view(shape)
    return images.mul_(scale).sub_(shift)


def random_crop(images: Tensor, padding: int, fill: Tensor, generator: torch.Generator) -> Tensor:
    """Pad every image by `padding` pixels of `fill` (one value per channel) and cut a window of
    the original size at an independent random offset: a shift of at most `padding` pixels."""
    if padding == 0:
        return images
    n, c, h, w = images.shape
    padded = images.new_empty((n, c, h + 2 * padding, w + 2 * padding))
    padded.copy_(fill.to(images.device, images.dtype).view(1, c, 1, 1).expand_as(padded))
    padded[:, :, padding : padding + h, padding : padding + w] = images
    offsets = torch.randint(
        0, 2 * padding + 1, (2, n), generator=generator, device=generator.device
    ).to(images.device)
    rows = offsets[0, :, None] + torch.arange(h, device=images.device)  # [N, H]
    cols = offsets[1, :, None] + torch.arange(w, device=images.device)  # [N, W]
    batch = torch.arange(n, device=images.device)[:, None, None, None]
    channel = torch.arange(c, device=images.device)[None, :, None, None]
    return padded[batch, channel, rows[:, None, :, None], cols[:, None, None, :]]


def random_hflip(images: Tensor, generator: torch.Generator) -> Tensor:
    """Mirror each image left-right with probability 1/2, independently."""
    flip = torch.rand(len(images), generator=generator, device=generator.device) < 0.5
    flip = flip.to(images.device).view(-1, 1, 1, 1)
    return torch.where(flip, images.flip(-1), images)


def augment_batch(
    images: Tensor, policy: Augmentation, fill: Tensor, generator: torch.Generator
) -> Tensor:
    """Apply a dataset's augmentation policy to one batch; never modifies `images` in place."""
    if policy.crop_padding:
        images = random_crop(images, policy.crop_padding, fill, generator)
    if policy.hflip:
        images = random_hflip(images, generator)
    return images
