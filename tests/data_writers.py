"""Writers for tiny dataset files in the standard on-disk formats, used by the data tests.

They are written independently of archsim's readers (straight from the format descriptions),
so a reader that misparses a layout cannot agree with them by construction.
"""

import gzip
import pickle
import struct
from pathlib import Path
from typing import Any

import numpy as np

IDX_CODES = {
    np.dtype("u1"): 0x08,
    np.dtype("i1"): 0x09,
    np.dtype("i2"): 0x0B,
    np.dtype("i4"): 0x0C,
    np.dtype("f4"): 0x0D,
    np.dtype("f8"): 0x0E,
}


def idx_bytes(array: np.ndarray) -> bytes:
    header = struct.pack(">HBB", 0, IDX_CODES[array.dtype], array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path: Path, array: np.ndarray) -> Path:
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def tiny_mnist(seed: int = 0, train: int = 5, test: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "train-images-idx3-ubyte": rng.integers(0, 256, (train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, test, dtype=np.uint8),
    }


def write_mnist(
    directory: Path, arrays: dict[str, np.ndarray], gz: bool = True, dotted: bool = False
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for stem, array in arrays.items():
        name = stem.replace("-idx", ".idx") if dotted else stem
        write_idx(directory / (f"{name}.gz" if gz else name), array)
    return directory


def cifar_batch(rng: np.random.Generator, count: int, classes: int) -> tuple[np.ndarray, list]:
    data = rng.integers(0, 256, (count, 3072), dtype=np.uint8)
    return data, [int(v) for v in rng.integers(0, classes, count)]


def write_pickle(path: Path, obj: Any, protocol: int) -> None:
    path.write_bytes(pickle.dumps(obj, protocol=protocol))


def write_cifar10(
    directory: Path,
    seed: int = 0,
    per_batch: int = 2,
    protocol: int = 2,
) -> dict[str, tuple[np.ndarray, list]]:
    """CIFAR-10 as its distribution lays it out: bytes keys (Python 2 strings)."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data, labels = batches[name] = cifar_batch(rng, per_batch, 10)
        write_pickle(
            directory / name,
            {
                b"batch_label": name.encode(),
                b"data": data,
                b"labels": labels,
                b"filenames": [b"x.png"] * per_batch,
            },
            protocol,
        )
    names = [f"class{i}".encode() for i in range(10)]
    write_pickle(
        directory / "batches.meta",
        {b"label_names": names, b"num_cases_per_batch": per_batch},
        protocol,
    )
    return batches


def write_cifar100(
    directory: Path, seed: int = 0, train: int = 4, test: int = 3, protocol: int = 5
) -> dict[str, tuple[np.ndarray, list]]:
    """CIFAR-100 re-saved by Python 3: str keys, a modern protocol."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    batches = {"train": cifar_batch(rng, train, 100), "test": cifar_batch(rng, test, 100)}
    for name, (data, labels) in batches.items():
        write_pickle(
            directory / name,
            {"data": data, "fine_labels": labels, "coarse_labels": [v // 5 for v in labels]},
            protocol,
        )
    write_pickle(
        directory / "meta",
        {
            "fine_label_names": [f"fine{i}" for i in range(100)],
            "coarse_label_names": [f"coarse{i}" for i in range(20)],
        },
        protocol,
    )
    return batches
