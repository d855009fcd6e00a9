"""The datasets archsim knows by name: load one split, or list them all and where they are."""

from pathlib import Path

from archsim.data.cifar import CIFAR10, CIFAR100
from archsim.data.digits import DIGITS
from archsim.data.mnist import FASHION_MNIST, MNIST
from archsim.data.records import SPLITS, Dataset, DatasetInfo, Split
from archsim.data.source import DatasetSource, check_data_dir
from archsim.errors import UserError

DEFAULT_DATASET = "digits"
DATASETS: dict[str, DatasetSource] = {
    source.name: source for source in (DIGITS, FASHION_MNIST, MNIST, CIFAR10, CIFAR100)
}


def get_source(name: str) -> DatasetSource:
    try:
        return DATASETS[name]
    except KeyError:
        raise UserError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}") from None


def get_dataset(
    name: str,
    split: Split,
    data_dir: str | Path | None = None,
    limit: int | None = None,
) -> Dataset:
    """Load one split of a dataset into memory, normalised, with its augmentation policy.

    `data_dir` is searched first, then `$ARCHSIM_DATA`, then system locations; `limit` keeps
    the first `limit` examples of the split (the files' order, already mixed across classes).
    """
    source = get_source(name)
    if split not in SPLITS:
        raise UserError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    return source.load(split, data_dir, limit)


def list_datasets(data_dir: str | Path | None = None) -> list[DatasetInfo]:
    """Every known dataset: what it is, whether and where it was found, and its sizes."""
    check_data_dir(data_dir)
    return [source.info(data_dir) for source in DATASETS.values()]
