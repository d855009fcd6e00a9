"""How a run reads its images: which subset of a split, and padded to what size.

`InputHandling` is recorded in a checkpoint so evaluation and recalibration read the data the
way training did. A subset is the first `limit` examples of the split (the files' order), or,
with `subset_seed`, `limit` examples drawn without replacement by that seed (kept in file
order); `skip` first leaves out the split's first examples, so an evaluation can use test
images disjoint from the ones training validated on (`train --val-limit N`, then `skip` N).
`pad_to` zero-pads each image on every side to `pad_to` x `pad_to` pixels (e.g. 28x28
Fashion-MNIST to the 32x32 a CIFAR-style net is usually fed); padding fills with black, the
value a zero pixel has after normalisation, and is centred (an odd margin puts the extra pixel
at the bottom and right).
"""

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from archsim.data.records import Dataset, Split
from archsim.data.registry import get_dataset
from archsim.data.source import check_limit
from archsim.errors import UserError


@dataclass(frozen=True)
class InputHandling:
    """Subset and padding of a split (all None: the whole split as stored)."""

    limit: int | None = None
    subset_seed: int | None = None
    pad_to: int | None = None
    skip: int = 0  # the split's first `skip` examples left out (a disjoint part of it)

    def to_meta(self) -> dict[str, Any]:
        return {"pad_to": self.pad_to}


def pad_images(ds: Dataset, size: int) -> Dataset:
    """`ds` with every image zero-padded (black) to `size` x `size`, centred."""
    _, channels, height, width = ds.images.shape
    if size < max(height, width):
        raise UserError(
            f"cannot pad {height}x{width} images to {size}x{size}: pad_to must be "
            f"at least {max(height, width)}"
        )
    if size == height == width:
        return ds
    top, left = (size - height) // 2, (size - width) // 2
    padded = ds.black.view(1, channels, 1, 1).expand(len(ds), channels, size, size).clone()
    padded[:, :, top : top + height, left : left + width] = ds.images
    return replace(ds, images=padded)


def random_subset(ds: Dataset, limit: int, seed: int) -> Dataset:
    """`limit` examples of `ds` drawn without replacement by `seed`, in their file order."""
    if limit >= len(ds):
        return ds
    generator = torch.Generator().manual_seed(seed)
    chosen = torch.randperm(len(ds), generator=generator)[:limit].sort().values
    return replace(ds, images=ds.images[chosen], labels=ds.labels[chosen])


def skipped(ds: Dataset, skip: int) -> Dataset:
    """`ds` without its first `skip` examples (none may be left: that is an error)."""
    if skip >= len(ds):
        raise UserError(f"cannot skip {skip} of the split's {len(ds)} examples: none would be left")
    return replace(ds, images=ds.images[skip:], labels=ds.labels[skip:])


def load_split(
    name: str, split: Split, data_dir: str | Path | None, handling: InputHandling
) -> Dataset:
    """One split of dataset `name`, subset and padded as `handling` says."""
    check_limit(handling.limit)
    if handling.subset_seed is not None and handling.limit is None:
        raise UserError("a subset seed needs a limit: the number of examples to draw")
    if handling.skip < 0:
        raise UserError(f"the examples to skip must be >= 0, got {handling.skip}")
    if handling.skip:
        ds = skipped(get_dataset(name, split, data_dir), handling.skip)
        if handling.limit is not None and handling.subset_seed is None:
            ds = replace(ds, images=ds.images[: handling.limit], labels=ds.labels[: handling.limit])
    elif handling.subset_seed is None:
        ds = get_dataset(name, split, data_dir, handling.limit)
    if handling.subset_seed is not None:
        assert handling.limit is not None
        whole = ds if handling.skip else get_dataset(name, split, data_dir)
        ds = random_subset(whole, handling.limit, handling.subset_seed)
    return ds if handling.pad_to is None else pad_images(ds, handling.pad_to)
