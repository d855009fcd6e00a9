"""CIFAR-10 and CIFAR-100 from the standard "python version" pickle batches (32x32 RGB).

CIFAR-10 (`cifar-10-batches-py/`): `data_batch_1`..`data_batch_5` (10,000 images each),
`test_batch`, `batches.meta` (`label_names`). CIFAR-100 (`cifar-100-python/`): `train`
(50,000), `test` (10,000), `meta` (`fine_label_names`); archsim uses the 100 fine labels.
Each batch is a dict whose `data` is uint8 [N, 3072] (the 1,024 red, then green, then blue
values of a row-major 32x32 image) and whose labels are a list of ints. The files are read
with a restricted unpickler (see `safe_pickle`), so a doctored batch cannot run code.

Augmentation is the usual one for CIFAR: random crop after 4 pixels of padding, and flip.
"""

from pathlib import Path

import numpy as np
import torch

from archsim.data.records import SPLITS, Augmentation, Dataset, Split
from archsim.data.safe_pickle import load_pickle
from archsim.data.source import DirectorySource, check_limit
from archsim.data.transforms import normalise
from archsim.errors import UserError

PIXELS_PER_IMAGE = 3 * 32 * 32


def read_batch(path: Path, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 [N, 3, 32, 32], labels int64 [N]) from one pickled batch."""
    batch = load_pickle(path)
    if not isinstance(batch, dict):
        raise UserError(f"{path} holds a {type(batch).__name__}, not a CIFAR batch dict")
    batch = {key.decode() if isinstance(key, bytes) else key: value for key, value in batch.items()}
    data, labels = batch.get("data"), batch.get(label_key)
    if (
        not isinstance(data, np.ndarray)
        or data.dtype != np.uint8
        or data.ndim != 2
        or data.shape[1] != PIXELS_PER_IMAGE
    ):
        what = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise UserError(f"{path}: 'data' must be uint8 [N, {PIXELS_PER_IMAGE}], found {what}")
    try:
        label_array = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError):
        label_array = np.empty(0, dtype=np.int64)
    if labels is None or label_array.shape != (len(data),):
        raise UserError(f"{path}: '{label_key}' must list {len(data)} integer labels")
    return data.reshape(-1, 3, 32, 32), label_array


def read_names(path: Path, key: str, count: int) -> tuple[str, ...]:
    meta = load_pickle(path)
    names = meta.get(key.encode(), meta.get(key)) if isinstance(meta, dict) else None
    if not isinstance(names, list) or len(names) != count:
        raise UserError(f"{path}: '{key}' must list {count} class names")
    return tuple(n.decode() if isinstance(n, bytes) else str(n) for n in names)


class CifarSource(DirectorySource):
    """A 32x32 RGB dataset stored as pickled batches in one directory."""

    input_shape = (3, 32, 32)

    # One keyword per fact of the dataset's description (CIFAR10 and CIFAR100 below name
    # each): the source is itself that record, so the parameters are its fields.
    def __init__(
        self,
        *,
        name: str,
        description: str,
        num_classes: int,
        files: dict[Split, tuple[str, ...]],
        meta: tuple[str, str],  # (file name, key of the class-name list)
        label_key: str,
        mean: tuple[float, ...],
        std: tuple[float, ...],
        subfolder: str,
        how_to_get: str,
    ) -> None:
        self.name = name
        self.description = description
        self.num_classes = num_classes
        self.files = files
        self.meta_file, self.names_key = meta
        self.label_key = label_key
        self.mean = mean
        self.std = std
        self.required_files = (*files["train"], *files["test"], self.meta_file)
        self.subfolders = (subfolder,)
        self.how_to_get = how_to_get

    def _read(
        self, directory: Path, split: Split, limit: int | None
    ) -> tuple[np.ndarray, np.ndarray]:
        images, labels, count = [], [], 0
        for name in self.files[split]:
            if limit is not None and count >= limit:
                break  # the batches still unread are not needed
            path = self.file(directory, name)
            batch_images, batch_labels = read_batch(path, self.label_key)
            if (
                len(batch_labels)
                and not 0 <= batch_labels.min() <= batch_labels.max() < self.num_classes
            ):
                raise UserError(f"{path}: labels must lie in 0..{self.num_classes - 1}")
            images.append(batch_images)
            labels.append(batch_labels)
            count += len(batch_labels)
        return np.concatenate(images)[:limit], np.concatenate(labels)[:limit]

    def sizes(self, directory: Path) -> tuple[int, int]:
        train, test = (len(self._read(directory, split, None)[1]) for split in SPLITS)
        return train, test

    def load_from(self, directory: Path, split: Split, limit: int | None) -> Dataset:
        check_limit(limit)
        images, labels = self._read(directory, split, limit)
        class_names = read_names(
            self.file(directory, self.meta_file), self.names_key, self.num_classes
        )
        return Dataset(
            name=self.name,
            split=split,
            images=normalise(images, 255.0, self.mean, self.std),
            labels=torch.from_numpy(labels),
            num_classes=self.num_classes,
            mean=self.mean,
            std=self.std,
            source=str(directory),
            class_names=class_names,
            augmentation=Augmentation(crop_padding=4, hflip=True),
        )


def _how_to_get(archive: str, folder: str) -> str:
    return (
        f"unpack {archive} (the CIFAR python version) and pass --data-dir DIR "
        f"(or set $ARCHSIM_DATA) with DIR holding {folder}/ or its files"
    )


# Normalisation constants: per-channel mean and standard deviation of each train split's
# pixels scaled to [0, 1], as usually quoted (the pixels' true standard deviations, not the
# 0.2023/0.1994/0.2010 much CIFAR code copies, which do not match the data).
CIFAR10 = CifarSource(
    name="cifar10",
    description="CIFAR-10: 32x32 colour images, 10 classes",
    num_classes=10,
    files={"train": tuple(f"data_batch_{i}" for i in range(1, 6)), "test": ("test_batch",)},
    meta=("batches.meta", "label_names"),
    label_key="labels",
    mean=(0.4914, 0.4822, 0.4465),
    std=(0.2470, 0.2435, 0.2616),
    subfolder="cifar-10-batches-py",
    how_to_get=_how_to_get("cifar-10-python.tar.gz", "cifar-10-batches-py"),
)

CIFAR100 = CifarSource(
    name="cifar100",
    description="CIFAR-100: 32x32 colour images, 100 fine classes",
    num_classes=100,
    files={"train": ("train",), "test": ("test",)},
    meta=("meta", "fine_label_names"),
    label_key="fine_labels",
    mean=(0.5071, 0.4865, 0.4409),
    std=(0.2673, 0.2564, 0.2762),
    subfolder="cifar-100-python",
    how_to_get=_how_to_get("cifar-100-python.tar.gz", "cifar-100-python"),
)
