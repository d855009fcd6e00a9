"""MNIST and Fashion-MNIST from their standard idx files (60,000 train / 10,000 test, 28x28).

File names follow the original distribution (`train-images-idx3-ubyte.gz`, ...); the
uncompressed files and the `train-images.idx3-ubyte` spelling some mirrors use are accepted
too, as is torchvision's `MNIST/raw` / `FashionMNIST/raw` layout. Debian's package
`dataset-fashion-mnist` installs Fashion-MNIST in /usr/share/datasets/fashion-mnist.

Augmentation: a random crop after 2 pixels of padding for both. Fashion-MNIST also flips
left-right: a garment or shoe seen mirrored is the same class (the classes are all
mirror-symmetric kinds of object), so the flip adds real variety. MNIST does not flip: a
mirrored digit is often not a digit, or is another one.
"""

from pathlib import Path

import numpy as np
import torch

from archsim.data.idx import read_idx, read_idx_header
from archsim.data.records import SPLITS, Augmentation, Dataset, Split
from archsim.data.source import DirectorySource, check_limit
from archsim.data.transforms import normalise
from archsim.errors import UserError

# canonical file names per split: (images, labels)
IDX_FILES: dict[Split, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


class IdxSource(DirectorySource):
    """A 28x28 grey-level, 10-class dataset stored as four idx files."""

    required_files = (*IDX_FILES["train"], *IDX_FILES["test"])
    input_shape = (1, 28, 28)
    num_classes = 10

    # One keyword per fact of the dataset's description (MNIST and FASHION_MNIST name each):
    # the source is itself that record, so the parameters are its fields.
    def __init__(
        self,
        *,
        name: str,
        description: str,
        mean: float,
        std: float,
        class_names: tuple[str, ...],
        augmentation: Augmentation,
        subfolders: tuple[str, ...],
        system_dirs: tuple[Path, ...],
        how_to_get: str,
    ) -> None:
        self.name = name
        self.description = description
        self.mean = (mean,)
        self.std = (std,)
        self.class_names = class_names
        self.augmentation = augmentation
        self.subfolders = subfolders
        self.system_dirs = system_dirs
        self.how_to_get = how_to_get

    def resolve(self, directory: Path, name: str) -> Path | None:
        dotted = name.replace("-idx", ".idx")  # "train-images.idx3-ubyte" as some mirrors name it
        for candidate in (name, f"{name}.gz", dotted, f"{dotted}.gz"):
            if (directory / candidate).is_file():
                return directory / candidate
        return None

    def sizes(self, directory: Path) -> tuple[int, int]:
        """(train, test) image counts; every file's header is checked against its length."""
        for name in self.required_files[1::2]:  # the label files; images are read below
            read_idx_header(self.file(directory, name))
        train, test = (
            read_idx_header(self.file(directory, IDX_FILES[split][0]))[1][0] for split in SPLITS
        )
        return train, test

    def load_from(self, directory: Path, split: Split, limit: int | None) -> Dataset:
        check_limit(limit)
        images_path, labels_path = (self.file(directory, name) for name in IDX_FILES[split])
        images = read_idx(images_path, limit)
        labels = read_idx(labels_path, limit)
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
            raise UserError(
                f"{images_path} holds {images.dtype} {images.shape[1:]} values, "
                "not 28x28 uint8 images"
            )
        if labels.dtype != np.uint8 or labels.ndim != 1:
            raise UserError(f"{labels_path} holds {labels.dtype} {labels.shape}, not uint8 labels")
        if len(images) != len(labels):
            raise UserError(
                f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels"
            )
        if len(labels) and int(labels.max()) >= self.num_classes:
            raise UserError(
                f"{labels_path} has label {int(labels.max())}, expected 0..{self.num_classes - 1}"
            )
        return Dataset(
            name=self.name,
            split=split,
            images=normalise(images[:, None], 255.0, self.mean, self.std),
            labels=torch.from_numpy(labels.astype(np.int64)),
            num_classes=self.num_classes,
            mean=self.mean,
            std=self.std,
            source=str(directory),
            class_names=self.class_names,
            augmentation=self.augmentation,
        )


_IDX_FILE_LIST = ", ".join(f"{name}[.gz]" for name in IdxSource.required_files)

# Normalisation constants: the mean and standard deviation of the train split's pixels scaled
# to [0, 1], as usually quoted (MNIST 0.1307/0.3081; Fashion-MNIST 0.2860/0.3530, which we
# measured on the Debian copy: 0.28604, 0.35302).
FASHION_MNIST = IdxSource(
    name="fashion-mnist",
    description="Zalando's Fashion-MNIST: 28x28 grey clothing images, 10 classes",
    mean=0.2860,
    std=0.3530,
    class_names=(
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    augmentation=Augmentation(crop_padding=2, hflip=True),
    subfolders=("fashion-mnist", "FashionMNIST/raw"),
    system_dirs=(Path("/usr/share/datasets/fashion-mnist"),),
    how_to_get="install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist) "
    f"or pass --data-dir DIR containing {_IDX_FILE_LIST}",
)

MNIST = IdxSource(
    name="mnist",
    description="LeCun's MNIST: 28x28 grey handwritten digits, 10 classes",
    mean=0.1307,
    std=0.3081,
    class_names=tuple(str(digit) for digit in range(10)),
    augmentation=Augmentation(crop_padding=2, hflip=False),
    subfolders=("mnist", "MNIST/raw"),
    system_dirs=(),
    how_to_get=f"pass --data-dir DIR (or set $ARCHSIM_DATA) containing {_IDX_FILE_LIST}",
)
