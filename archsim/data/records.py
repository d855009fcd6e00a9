"""The in-memory dataset record and the per-dataset augmentation policy it carries.

Every dataset archsim uses is small enough to hold as one tensor, so training and the
Monte-Carlo evaluation over many chips index a tensor instead of decoding files per batch.
"""

from dataclasses import dataclass, field, replace
from typing import Literal

import torch
from torch import Tensor

Split = Literal["train", "test"]
SPLITS: tuple[Split, ...] = ("train", "test")


@dataclass(frozen=True)
class Augmentation:
    """Training-time augmentation: a random crop after padding by `crop_padding` pixels of
    black (shifts of up to that many pixels), and a horizontal flip with probability 1/2."""

    crop_padding: int = 0
    hflip: bool = False

    def __post_init__(self) -> None:
        if self.crop_padding < 0:
            raise ValueError(f"crop_padding must be >= 0, got {self.crop_padding}")

    @property
    def is_identity(self) -> bool:
        return self.crop_padding == 0 and not self.hflip


# eq=False: the generated __eq__ would compare tensors elementwise and fail; identity suffices.
@dataclass(frozen=True, eq=False)
class Dataset:
    """One split of a dataset, normalised: `images` is float32 [N, C, H, W] holding
    `(pixel / max_pixel - mean[c]) / std[c]`, `labels` is int64 [N] in [0, num_classes)."""

    name: str
    split: Split
    images: Tensor
    labels: Tensor
    num_classes: int
    mean: tuple[float, ...]  # per channel, on pixels scaled to [0, 1]
    std: tuple[float, ...]
    source: str  # where the data came from (a directory, or the embedded copy)
    class_names: tuple[str, ...] = ()
    augmentation: Augmentation = field(default_factory=Augmentation)

    def __post_init__(self) -> None:
        images, labels = self.images, self.labels
        if images.dim() != 4 or images.dtype != torch.float32:
            raise ValueError(
                f"images must be float32 [N, C, H, W], got {images.dtype} {tuple(images.shape)}"
            )
        if labels.dim() != 1 or labels.dtype != torch.int64 or len(labels) != len(images):
            raise ValueError(
                f"labels must be int64 [{len(images)}], got {labels.dtype} {tuple(labels.shape)}"
            )
        channels = images.shape[1]
        if len(self.mean) != channels or len(self.std) != channels:
            raise ValueError(f"mean and std need {channels} values, got {self.mean}, {self.std}")
        if self.class_names and len(self.class_names) != self.num_classes:
            raise ValueError(f"{len(self.class_names)} class names for {self.num_classes} classes")

    def __len__(self) -> int:
        return len(self.labels)

    def to(self, device: torch.device | str) -> "Dataset":
        """The same dataset with its tensors on `device`: on a GPU, keeping the whole (small)
        dataset there makes every batch a device-side gather instead of a host copy."""
        return replace(self, images=self.images.to(device), labels=self.labels.to(device))

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of one image, the shape a network is built for."""
        channels, height, width = self.images.shape[1:]
        return (channels, height, width)

    @property
    def black(self) -> Tensor:
        """The normalised value of a black (zero) pixel per channel, shape [C]: what padding
        fills with, as padding the raw image with zeros before normalising would."""
        mean = torch.tensor(self.mean, dtype=torch.float32)
        return -mean / torch.tensor(self.std, dtype=torch.float32)


@dataclass(frozen=True)
class DatasetInfo:
    """What `list_datasets` reports for one dataset, without loading its pixels."""

    name: str
    description: str
    found: bool
    location: str  # the directory it was found in, "embedded ...", or "" when missing
    searched: tuple[str, ...]  # directories looked in, in order (empty for embedded data)
    how_to_get: str
    input_shape: tuple[int, int, int]
    num_classes: int
    train_size: int | None = None  # None when not found
    test_size: int | None = None
    problem: str = ""  # why a dataset that is present cannot be read
