"""The embedded default dataset: scikit-learn's 1,797 real 8x8 handwritten digits.

scikit-learn ships the UCI optical-recognition digits (integer grey values 0..16), so they
are present on every machine archsim installs on. archsim splits them once, with a fixed seed,
stratified by class: 360 test images (about 20%, 34-37 per class) and 1,437 train images, each
split kept in the original order. Pixels are scaled to [0, 1] and normalised with the train
split's mean and standard deviation. Augmentation shifts images by at most one pixel (a crop
after 1 pixel of padding): at 8x8 a larger shift would cut off strokes; no flip, because a
mirrored digit is often not a digit, or is another one.
"""

import hashlib
import importlib.util
from functools import cache
from pathlib import Path

import numpy as np
import torch

from archsim.data.records import Augmentation, Dataset, DatasetInfo, Split
from archsim.data.source import DatasetSource, check_data_dir, check_limit
from archsim.data.transforms import normalise

SPLIT_SEED = 0
TEST_SIZE = 360
MAX_PIXEL = 16.0
LOCATION = "embedded (scikit-learn load_digits)"


def stratified_split(labels: np.ndarray, test_size: int, seed: int) -> dict[Split, np.ndarray]:
    """Sorted train and test indices with `test_size` test examples shared between classes in
    proportion to their sizes (largest remainder), each class's picked at random."""
    classes, counts = np.unique(labels, return_counts=True)
    quota = counts * test_size / len(labels)
    per_class = np.floor(quota).astype(np.int64)
    shortfall = test_size - int(per_class.sum())
    per_class[np.argsort(-(quota - per_class), kind="stable")[:shortfall]] += 1
    rng = np.random.default_rng(seed)
    test = np.concatenate(
        [
            rng.permutation(np.flatnonzero(labels == label))[:take]
            for label, take in zip(classes, per_class, strict=True)
        ]
    )
    is_test = np.zeros(len(labels), dtype=bool)
    is_test[test] = True
    return {"train": np.flatnonzero(~is_test), "test": np.flatnonzero(is_test)}


def packaged_csv() -> Path | None:
    """scikit-learn's own copy of the digits (`sklearn/datasets/data/digits.csv.gz`), found
    without importing scikit-learn, whose import takes over half a second."""
    spec = importlib.util.find_spec("sklearn")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            return path
    return None


def read_digits() -> tuple[np.ndarray, np.ndarray]:
    """(pixels [1797, 8, 8] float64 in 0..16, labels int64), exactly as `load_digits` gives."""
    path = packaged_csv()
    if path is not None:
        table = np.loadtxt(path, delimiter=",", ndmin=2)
        if table.shape == (1797, 65):  # 64 pixels then the label per row
            return table[:, :64].reshape(-1, 8, 8), table[:, 64].astype(np.int64)
    # a layout we do not know: ask scikit-learn (which ships no type information)
    from sklearn.datasets import load_digits  # type: ignore[import-untyped]

    digits = load_digits()
    return digits.images, digits.target.astype(np.int64)


@cache
def _digits() -> tuple[np.ndarray, np.ndarray, dict[Split, np.ndarray]]:
    """(pixels, labels, split indices); read once per process."""
    pixels, labels = read_digits()
    return pixels, labels, stratified_split(labels, TEST_SIZE, SPLIT_SEED)


class DigitsSource(DatasetSource):
    """The digits, always present, split and normalised as the module docstring says."""

    name = "digits"
    description = "scikit-learn's 8x8 handwritten digits (1,797 real scans), 10 classes"
    input_shape = (1, 8, 8)
    num_classes = 10
    how_to_get = "always present: it ships with scikit-learn"

    def normalisation(self) -> tuple[tuple[float], tuple[float]]:
        pixels, _, split = _digits()
        train = pixels[split["train"]] / MAX_PIXEL
        return (float(train.mean()),), (float(train.std()),)

    def info(self, data_dir: str | Path | None = None) -> DatasetInfo:
        check_data_dir(data_dir)
        split = _digits()[2]
        return DatasetInfo(
            name=self.name,
            description=self.description,
            found=True,
            location=LOCATION,
            searched=(),
            how_to_get=self.how_to_get,
            input_shape=self.input_shape,
            num_classes=self.num_classes,
            train_size=len(split["train"]),
            test_size=len(split["test"]),
        )

    def fingerprint(self, data_dir: str | Path | None = None) -> str:
        pixels, labels, _ = _digits()
        digest = hashlib.sha256(f"{TEST_SIZE} {SPLIT_SEED}".encode())
        digest.update(np.ascontiguousarray(pixels, dtype=np.float64).tobytes())
        digest.update(np.ascontiguousarray(labels, dtype=np.int64).tobytes())
        return digest.hexdigest()[:32]

    def load(self, split: Split, data_dir: str | Path | None, limit: int | None) -> Dataset:
        check_data_dir(data_dir)  # not needed here, but a wrong one is still a mistake
        check_limit(limit)
        pixels, labels, indices = _digits()
        chosen = indices[split][:limit]
        mean, std = self.normalisation()
        return Dataset(
            name=self.name,
            split=split,
            images=normalise(pixels[chosen, None], MAX_PIXEL, mean, std),
            labels=torch.from_numpy(labels[chosen]),
            num_classes=self.num_classes,
            mean=mean,
            std=std,
            source=f"{LOCATION}, stratified split seed {SPLIT_SEED}",
            class_names=tuple(str(digit) for digit in range(10)),
            augmentation=Augmentation(crop_padding=1, hflip=False),
        )


DIGITS = DigitsSource()
