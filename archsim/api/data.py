"""Datasets: which ones archsim can load, where they were found, their shapes and splits."""

from archsim.data import DATASETS, Dataset, DatasetInfo, get_dataset, list_datasets
from archsim.data.registry import get_source

__all__ = ["DATASETS", "Dataset", "DatasetInfo", "dataset_shape", "get_dataset", "list_datasets"]


def dataset_shape(name: str) -> tuple[tuple[int, ...], int]:
    """Input shape and class count of dataset `name`, without loading it."""
    source = get_source(name)
    return tuple(source.input_shape), source.num_classes
