"""Datasets held in memory as tensors: digits (embedded), Fashion-MNIST, MNIST, CIFAR-10/100.

`get_dataset(name, split)` loads one normalised split; `iterate_batches` walks it in
(optionally shuffled and augmented) mini-batches driven by an explicit generator;
`list_datasets()` says which datasets are present and where.
"""

from archsim.data.batches import iterate_batches, num_batches
from archsim.data.records import Augmentation, Dataset, DatasetInfo, Split
from archsim.data.registry import DATASETS, DEFAULT_DATASET, get_dataset, list_datasets
from archsim.data.source import ENV_VAR

__all__ = [
    "DATASETS",
    "DEFAULT_DATASET",
    "ENV_VAR",
    "Augmentation",
    "Dataset",
    "DatasetInfo",
    "Split",
    "get_dataset",
    "iterate_batches",
    "list_datasets",
    "num_batches",
]
