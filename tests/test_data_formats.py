"""The on-disk formats: idx (MNIST, Fashion-MNIST), CIFAR pickles, the safe unpickler, and
where datasets are searched for. Every file here is written by the test itself."""

import gzip
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from data_writers import (
    idx_bytes,
    tiny_mnist,
    write_cifar10,
    write_cifar100,
    write_idx,
    write_mnist,
    write_pickle,
)

from archsim.data import ENV_VAR, get_dataset, list_datasets
from archsim.data.idx import read_idx, read_idx_header
from archsim.data.mnist import FASHION_MNIST
from archsim.data.safe_pickle import load_pickle
from archsim.errors import UserError


@pytest.fixture(autouse=True)
def no_ambient_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the directories a test creates are searched (not the machine's own copies)."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(FASHION_MNIST, "system_dirs", ())


def raw_pixels(images: np.ndarray, mean: tuple[float, ...], std: tuple[float, ...]) -> np.ndarray:
    """Undo the normalisation: back to 0..255 integers."""
    shape = (1, len(mean), 1, 1)
    scaled = images * np.array(std).reshape(shape) + np.array(mean).reshape(shape)
    return np.rint(scaled * 255).astype(np.int64)


def one_line_error(excinfo: pytest.ExceptionInfo[UserError]) -> str:
    message = str(excinfo.value)
    assert "\n" not in message
    return message


# ---- idx -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("gz", "dotted"), [(True, False), (False, False), (True, True)])
def test_idx_files_load_back_exactly(tmp_path: Path, gz: bool, dotted: bool) -> None:
    arrays = tiny_mnist(seed=1)
    write_mnist(tmp_path, arrays, gz=gz, dotted=dotted)
    for split, prefix in (("train", "train"), ("test", "t10k")):
        ds = get_dataset("mnist", split, data_dir=tmp_path)
        assert ds.images.shape == (len(arrays[f"{prefix}-labels-idx1-ubyte"]), 1, 28, 28)
        assert np.array_equal(
            raw_pixels(ds.images.numpy(), ds.mean, ds.std)[:, 0],
            arrays[f"{prefix}-images-idx3-ubyte"],
        )
        assert ds.labels.tolist() == arrays[f"{prefix}-labels-idx1-ubyte"].tolist()
        assert ds.source == str(tmp_path) and ds.split == split and ds.num_classes == 10


def test_idx_header_only_and_limit_read_just_what_they_need(tmp_path: Path) -> None:
    values = np.arange(4 * 3 * 2, dtype=np.int16).reshape(4, 3, 2) - 7
    path = write_idx(tmp_path / "x.idx.gz", values)
    assert read_idx_header(path) == (np.dtype(">i2"), (4, 3, 2))
    assert np.array_equal(read_idx(path), values)
    assert np.array_equal(read_idx(path, limit=2), values[:2])
    floats = np.array([1.5, -2.25], dtype=np.float32)
    assert read_idx(write_idx(tmp_path / "f.idx", floats), limit=10).tolist() == [1.5, -2.25]


def test_limit_keeps_the_first_examples(tmp_path: Path) -> None:
    arrays = tiny_mnist(seed=2, train=6)
    write_mnist(tmp_path, arrays)
    ds = get_dataset("mnist", "train", data_dir=tmp_path, limit=4)
    assert ds.labels.tolist() == arrays["train-labels-idx1-ubyte"][:4].tolist()
    with pytest.raises(UserError, match="limit must be a positive"):
        get_dataset("mnist", "train", data_dir=tmp_path, limit=0)


def test_truncated_idx_file_is_one_line_naming_the_file(tmp_path: Path) -> None:
    arrays = tiny_mnist()
    write_mnist(tmp_path, arrays, gz=False)
    images = tmp_path / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-100])
    with pytest.raises(UserError) as excinfo:
        get_dataset("mnist", "train", data_dir=tmp_path)
    message = one_line_error(excinfo)
    assert str(images) in message and "truncated" in message


def test_wrong_magic_number_is_rejected(tmp_path: Path) -> None:
    write_mnist(tmp_path, tiny_mnist())
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(b"\x12\x34\x08\x01" + b"\x00" * 20))
    with pytest.raises(UserError) as excinfo:
        get_dataset("mnist", "test", data_dir=tmp_path)
    assert one_line_error(excinfo) == f"{labels} is not an idx file (magic number 0x12340801)"


def test_broken_gzip_and_mismatched_files_are_user_errors(tmp_path: Path) -> None:
    arrays = tiny_mnist()
    write_mnist(tmp_path, arrays)
    images = tmp_path / "train-images-idx3-ubyte.gz"
    images.write_bytes(images.read_bytes()[:40])  # cut inside the compressed stream
    with pytest.raises(UserError, match="gz is corrupt: Compressed file ended"):
        get_dataset("mnist", "train", data_dir=tmp_path)
    images.write_bytes(b"\x1f\x8b not deflate")
    with pytest.raises(UserError, match="gz is corrupt: "):
        get_dataset("mnist", "train", data_dir=tmp_path)
    write_idx(images, arrays["train-images-idx3-ubyte"][:2])  # 2 images, 5 labels
    with pytest.raises(UserError, match="has 2 images but"):
        get_dataset("mnist", "train", data_dir=tmp_path)
    write_idx(images, np.zeros((5, 28, 27), dtype=np.uint8))
    with pytest.raises(UserError, match="not 28x28 uint8 images"):
        get_dataset("mnist", "train", data_dir=tmp_path)
    (tmp_path / "extra.idx").write_bytes(idx_bytes(np.zeros(3, np.uint8)) + b"!")
    with pytest.raises(UserError, match="bytes after"):
        read_idx(tmp_path / "extra.idx")


# ---- where datasets are looked for -----------------------------------------------------------


def test_search_order_subfolders_environment_and_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, system = (
        write_mnist(tmp_path / n / "fashion-mnist", tiny_mnist(seed=i))
        for i, n in enumerate(("first", "second", "system"))
    )
    monkeypatch.setattr(FASHION_MNIST, "system_dirs", (system,))
    assert get_dataset("fashion-mnist", "test").source == str(system)
    monkeypatch.setenv(ENV_VAR, os.pathsep.join([str(tmp_path / "nowhere"), str(second.parent)]))
    assert get_dataset("fashion-mnist", "test").source == str(second)
    ds = get_dataset("fashion-mnist", "test", data_dir=first.parent)
    assert ds.source == str(first) and ds.augmentation.hflip and ds.class_names[9] == "Ankle boot"


def test_missing_dataset_says_where_it_looked_and_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(UserError) as excinfo:
        get_dataset("fashion-mnist", "train", data_dir=tmp_path)
    message = one_line_error(excinfo)
    assert message.startswith(f"fashion-mnist not found in {tmp_path} (and its fashion-mnist/")
    assert "dataset-fashion-mnist" in message and "train-images-idx3-ubyte" in message
    arrays = tiny_mnist()
    del arrays["t10k-labels-idx1-ubyte"]
    write_mnist(tmp_path / "mnist", arrays)
    with pytest.raises(UserError, match=r"mnist lacks t10k-labels-idx1-ubyte; pass --data-dir"):
        get_dataset("mnist", "train", data_dir=tmp_path)
    with pytest.raises(UserError, match="does not exist"):
        get_dataset("mnist", "train", data_dir=tmp_path / "absent")


def test_list_reports_sizes_of_what_it_finds(tmp_path: Path) -> None:
    write_mnist(tmp_path / "mnist", tiny_mnist(train=7, test=2))
    write_cifar100(tmp_path / "cifar-100-python", train=4, test=3)
    write_mnist(tmp_path / "fashion-mnist", tiny_mnist())
    (tmp_path / "fashion-mnist" / "t10k-images-idx3-ubyte.gz").write_bytes(b"garbage")
    infos = {info.name: info for info in list_datasets(tmp_path)}
    assert (infos["mnist"].found, infos["mnist"].train_size, infos["mnist"].test_size) == (
        True,
        7,
        2,
    )
    assert infos["mnist"].location == str(tmp_path / "mnist")
    assert (infos["cifar100"].train_size, infos["cifar100"].test_size) == (4, 3)
    assert not infos["cifar10"].found and infos["cifar10"].train_size is None
    assert infos["fashion-mnist"].found and "corrupt" in infos["fashion-mnist"].problem


# ---- CIFAR pickles ---------------------------------------------------------------------------


def test_cifar10_batches_load_back_exactly(tmp_path: Path) -> None:
    batches = write_cifar10(tmp_path / "cifar-10-batches-py", per_batch=2)
    train = get_dataset("cifar10", "train", data_dir=tmp_path)
    data = np.concatenate([batches[f"data_batch_{i}"][0] for i in range(1, 6)])
    pixels = raw_pixels(train.images.numpy(), train.mean, train.std)
    # `data` rows are 1,024 red, then green, then blue values of a row-major 32x32 image
    n, c, y, x = 7, 2, 5, 30
    assert pixels[n, c, y, x] == data[n, c * 1024 + y * 32 + x]
    assert np.array_equal(pixels.reshape(10, 3072), data)
    assert train.labels.tolist() == [v for i in range(1, 6) for v in batches[f"data_batch_{i}"][1]]
    assert train.class_names[3] == "class3" and train.input_shape == (3, 32, 32)
    assert train.augmentation.crop_padding == 4 and train.augmentation.hflip
    test = get_dataset("cifar10", "test", data_dir=tmp_path / "cifar-10-batches-py", limit=1)
    assert test.labels.tolist() == batches["test_batch"][1][:1]
    assert len(get_dataset("cifar10", "train", data_dir=tmp_path, limit=3)) == 3


def test_cifar100_uses_fine_labels(tmp_path: Path) -> None:
    batches = write_cifar100(tmp_path / "cifar-100-python", protocol=5)
    test = get_dataset("cifar100", "test", data_dir=tmp_path)
    assert test.labels.tolist() == batches["test"][1] and test.num_classes == 100
    assert np.array_equal(
        raw_pixels(test.images.numpy(), test.mean, test.std).reshape(3, 3072), batches["test"][0]
    )
    assert test.class_names[42] == "fine42"


def test_bad_cifar_batches_are_user_errors(tmp_path: Path) -> None:
    directory = tmp_path / "cifar-100-python"
    write_cifar100(directory)
    write_pickle(
        directory / "test", {"data": np.zeros((2, 100), np.uint8), "fine_labels": [0, 1]}, 4
    )
    with pytest.raises(UserError, match=r"'data' must be uint8 \[N, 3072\]"):
        get_dataset("cifar100", "test", data_dir=tmp_path)
    write_pickle(
        directory / "test", {"data": np.zeros((2, 3072), np.uint8), "fine_labels": [0, 100]}, 4
    )
    with pytest.raises(UserError, match=r"labels must lie in 0\.\.99"):
        get_dataset("cifar100", "test", data_dir=tmp_path)
    (directory / "test").write_bytes(b"\x80\x04not a pickle")
    with pytest.raises(UserError, match="not a safe, readable data pickle"):
        get_dataset("cifar100", "test", data_dir=tmp_path)


class _RunsAShellCommand:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (self.command,))


def test_a_pickle_that_would_run_code_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "cifar-10-batches-py"
    write_cifar10(directory)
    witness = tmp_path / "pwned"
    batch = {b"data": _RunsAShellCommand(f"touch {witness}"), b"labels": [0]}
    (directory / "data_batch_1").write_bytes(pickle.dumps(batch, protocol=2))
    with pytest.raises(UserError) as excinfo:
        get_dataset("cifar10", "train", data_dir=tmp_path)
    message = one_line_error(excinfo)
    assert str(directory / "data_batch_1") in message and "system" in message
    assert "not allowed" in message
    assert not witness.exists()


@pytest.mark.parametrize(
    "payload",
    [
        b"cbuiltins\neval\n(S'1+1'\ntR.",  # protocol 0: builtins.eval("1+1")
        b"c_codecs\nencode\n(S'x'\nS'rot13'\ntR.",  # a codec other than latin1
    ],
)
def test_safe_unpickler_refuses_other_callables(tmp_path: Path, payload: bytes) -> None:
    path = tmp_path / "p.pkl"
    path.write_bytes(payload)
    with pytest.raises(UserError, match="not a safe, readable data pickle"):
        load_pickle(path)


def test_safe_unpickler_rebuilds_numpy_under_every_protocol(tmp_path: Path) -> None:
    value = {
        "a": np.arange(6, dtype=np.int16).reshape(2, 3),
        "b": [b"x", 1, 2.5],
        "c": np.float64(0.25),
    }
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        path = tmp_path / f"p{protocol}.pkl"
        write_pickle(path, value, protocol)
        loaded = load_pickle(path)
        assert np.array_equal(loaded["a"], value["a"]) and loaded["a"].dtype == np.int16
        assert loaded["b"] == value["b"] and loaded["c"] == 0.25
