"""Mini-batches over an in-memory dataset: shuffled and augmented from an explicit generator.

The permutation is drawn when `iterate_batches` is called and each batch's augmentation when
that batch is produced, all from the caller's generator: the same generator state and the same
consumption give the same batches. Batches can be moved to a device (CUDA included) and laid
out channels-last, which speeds up convolutions on CPU and on recent GPUs.
"""

from collections.abc import Iterator

import torch
from torch import Tensor

from archsim.data.records import Augmentation, Dataset
from archsim.data.transforms import augment_batch
from archsim.errors import UserError


def resolve_device(device: str | torch.device | None) -> torch.device | None:
    """A torch device from a user's string; CUDA that is not there is a user mistake."""
    if device is None or isinstance(device, torch.device):
        return device
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise UserError(f"unknown device {device!r}; use cpu, cuda or cuda:N") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise UserError(f"device {device!r} asked for, but CUDA is not available here")
    return resolved


def num_batches(size: int, batch_size: int, drop_last: bool = False) -> int:
    """How many batches `iterate_batches` yields for a dataset of `size` examples."""
    return size // batch_size if drop_last else -(-size // batch_size)


def iterate_batches(
    ds: Dataset,
    batch_size: int,
    *,
    shuffle: bool,
    augment: bool,
    generator: torch.Generator | None,
    drop_last: bool = False,
    device: str | torch.device | None = None,
    channels_last: bool = False,
) -> Iterator[tuple[Tensor, Tensor]]:
    """Yield (images [B, C, H, W] float32, labels [B] int64) batches covering `ds` once.

    `shuffle` draws a fresh permutation and `augment` applies the dataset's augmentation
    policy, both from `generator` (required when either is on). `device` is where batches go
    (default: where the dataset is). Unshuffled, unaugmented batches on the dataset's device
    are views of it: do not modify them in place.
    """
    if batch_size < 1:
        raise UserError(f"batch size must be at least 1, got {batch_size}")
    if generator is None and (shuffle or augment):
        raise ValueError("shuffle and augment draw random numbers: pass a seeded generator")
    target = resolve_device(device) or ds.images.device
    order = None
    if shuffle:
        assert generator is not None
        order = torch.randperm(len(ds), generator=generator, device=generator.device)
        order = order.to(ds.images.device)
    stop = num_batches(len(ds), batch_size, drop_last) * batch_size
    return _batches(ds, batch_size, stop, order, target, augment, generator, channels_last)


def _batches(
    ds: Dataset,
    batch_size: int,
    stop: int,
    order: Tensor | None,
    target: torch.device,
    augment: bool,
    generator: torch.Generator | None,
    channels_last: bool,
) -> Iterator[tuple[Tensor, Tensor]]:
    """The batches `iterate_batches` checked the arguments of, each made when asked for."""
    policy = ds.augmentation if augment else Augmentation()
    fill = ds.black.to(target)
    for start in range(0, min(stop, len(ds)), batch_size):
        if order is None:  # contiguous slices: no gather needed
            images = ds.images[start : start + batch_size]
            labels = ds.labels[start : start + batch_size]
        else:
            chosen = order[start : start + batch_size]
            images, labels = ds.images[chosen], ds.labels[chosen]
        images = images.to(target, non_blocking=True)
        labels = labels.to(target, non_blocking=True)
        if not policy.is_identity:
            assert generator is not None
            images = augment_batch(images, policy, fill, generator)
        if channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        yield images, labels
