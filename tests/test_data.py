"""Digits split, normalisation, augmentation and the batch iterator."""

from pathlib import Path

import numpy as np
import pytest
import torch

from archsim.data import Augmentation, Dataset, get_dataset, iterate_batches, num_batches
from archsim.data.digits import read_digits, stratified_split
from archsim.data.mnist import FASHION_MNIST
from archsim.data.transforms import augment_batch, random_crop, random_hflip
from archsim.errors import UserError

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---- digits ----------------------------------------------------------------------------------


def test_digits_split_sizes_disjoint_and_stratified() -> None:
    train, test = get_dataset("digits", "train"), get_dataset("digits", "test")
    assert (len(train), len(test)) == (1437, 360)
    assert train.input_shape == test.input_shape == (1, 8, 8)
    _, labels = read_digits()
    split = stratified_split(labels, 360, 0)
    assert sorted([*split["train"], *split["test"]]) == list(range(1797))
    class_sizes = np.bincount(labels)
    test_sizes = np.bincount(test.labels.numpy())
    # largest-remainder shares of 360: each class within one example of 20.03% of its size
    assert np.all(np.abs(test_sizes - class_sizes * 360 / 1797) < 1)
    assert np.array_equal(np.bincount(train.labels.numpy()) + test_sizes, class_sizes)
    assert train.labels.tolist() == labels[split["train"]].tolist()


def test_digits_split_is_fixed_and_seeded() -> None:
    first, again = get_dataset("digits", "test"), get_dataset("digits", "test")
    assert torch.equal(first.images, again.images) and torch.equal(first.labels, again.labels)
    _, labels = read_digits()
    assert not np.array_equal(
        stratified_split(labels, 360, 1)["test"], stratified_split(labels, 360, 0)["test"]
    )


def test_digits_read_without_scikit_learn_import_match_load_digits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from archsim.data import digits

    fast_pixels, fast_labels = read_digits()
    monkeypatch.setattr(digits, "packaged_csv", lambda: None)  # force the load_digits path
    pixels, labels = read_digits()
    assert np.array_equal(fast_pixels, pixels) and np.array_equal(fast_labels, labels)
    assert pixels.shape == (1797, 8, 8) and pixels.max() == 16 and pixels.min() == 0


def test_digits_normalised_with_train_statistics() -> None:
    train = get_dataset("digits", "train")
    assert abs(train.images.mean().item()) < 1e-5
    assert abs(train.images.std().item() - 1) < 1e-3
    pixels, _ = read_digits()
    # pixel value 0 maps to -mean/std: the "black" value the crop pads with
    assert train.images.min().item() == pytest.approx(train.black.item(), abs=1e-6)
    assert train.mean[0] == pytest.approx(pixels.mean() / 16, abs=0.01)
    limited = get_dataset("digits", "test", limit=10)
    assert torch.equal(limited.images, get_dataset("digits", "test").images[:10])


@pytest.mark.skipif(
    not DEBIAN_FASHION.is_dir(), reason="Debian's dataset-fashion-mnist is not installed"
)
def test_real_fashion_mnist_standard_constants_normalise_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ARCHSIM_DATA", raising=False)
    monkeypatch.setattr(FASHION_MNIST, "system_dirs", (DEBIAN_FASHION,))
    train = get_dataset("fashion-mnist", "train", limit=20000)
    assert abs(train.images.mean().item()) < 0.02 and abs(train.images.std().item() - 1) < 0.02
    assert np.bincount(train.labels.numpy(), minlength=10).min() > 1800
    assert len(get_dataset("fashion-mnist", "test")) == 10000


def test_bad_requests_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="unknown dataset 'cifar'; choose one of digits"):
        get_dataset("cifar", "train")
    with pytest.raises(UserError, match="unknown split 'val'"):
        get_dataset("digits", "val")  # type: ignore[arg-type]
    with pytest.raises(UserError, match="does not exist"):
        get_dataset("digits", "train", data_dir=tmp_path / "missing")


def test_dataset_record_rejects_inconsistent_tensors() -> None:
    with pytest.raises(ValueError, match="labels must be int64"):
        Dataset(
            "x",
            "train",
            torch.zeros(2, 1, 4, 4),
            torch.zeros(3, dtype=torch.int64),
            num_classes=2,
            mean=(0.0,),
            std=(1.0,),
            source="test",
        )


# ---- augmentation ----------------------------------------------------------------------------


def distinct_images(n: int, c: int = 2, h: int = 6, w: int = 7) -> torch.Tensor:
    """Images whose every pixel value is unique, so a shifted copy can be located exactly."""
    return torch.arange(1, n * c * h * w + 1, dtype=torch.float32).view(n, c, h, w)


@pytest.mark.parametrize("padding", [1, 2, 4])
def test_crop_is_a_shift_of_at_most_the_padding_filled_with_black(padding: int) -> None:
    images = distinct_images(64)
    fill = torch.tensor([-1.0, -2.0])
    out = random_crop(images, padding, fill, generator(3))
    assert out.shape == images.shape
    seen = set()
    for before, after in zip(images, out, strict=True):
        # exactly one shift within the padding reproduces the output (pixels are unique)
        matches = [
            (dy, dx)
            for dy in range(-padding, padding + 1)
            for dx in range(-padding, padding + 1)
            if torch.equal(after, shifted(before, dy, dx, fill))
        ]
        assert len(matches) == 1
        seen.add(matches[0])
    assert len(seen) > (2 * padding + 1) ** 2 // 2  # offsets really vary across the batch


def shifted(image: torch.Tensor, dy: int, dx: int, fill: torch.Tensor) -> torch.Tensor:
    """`image` moved down by dy and right by dx, vacated pixels set to the channel's fill."""
    c, h, w = image.shape
    out = fill.view(c, 1, 1).expand(c, h, w).clone()
    out[:, max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = image[
        :, max(-dy, 0) : h - max(dy, 0), max(-dx, 0) : w - max(dx, 0)
    ]
    return out


def test_flip_mirrors_about_half_of_the_images() -> None:
    images = distinct_images(400, c=1)
    out = random_hflip(images, generator(0))
    flipped = torch.tensor([torch.equal(a, b.flip(-1)) for a, b in zip(out, images, strict=True)])
    kept = torch.tensor([torch.equal(a, b) for a, b in zip(out, images, strict=True)])
    assert torch.all(flipped ^ kept)
    assert 160 < int(flipped.sum()) < 240


def test_augmentation_is_deterministic_per_seed_and_never_in_place() -> None:
    images = distinct_images(32)
    copy = images.clone()
    policy, fill = Augmentation(crop_padding=2, hflip=True), torch.zeros(2)
    first = augment_batch(images, policy, fill, generator(7))
    assert torch.equal(first, augment_batch(images, policy, fill, generator(7)))
    assert not torch.equal(first, augment_batch(images, policy, fill, generator(8)))
    assert torch.equal(images, copy)
    assert augment_batch(images, Augmentation(), fill, generator(7)) is images


# ---- batches ---------------------------------------------------------------------------------


def small_dataset(n: int = 10) -> Dataset:
    return Dataset(
        "toy",
        "train",
        distinct_images(n, c=1, h=4, w=4),
        torch.arange(n, dtype=torch.int64),
        num_classes=n,
        mean=(0.5,),
        std=(0.25,),
        source="test",
        augmentation=Augmentation(crop_padding=1, hflip=True),
    )


def test_unshuffled_batches_are_the_dataset_in_order() -> None:
    ds = small_dataset(10)
    batches = list(iterate_batches(ds, 4, shuffle=False, augment=False, generator=None))
    assert [len(y) for _, y in batches] == [4, 4, 2]
    assert torch.equal(torch.cat([x for x, _ in batches]), ds.images)
    dropped = list(
        iterate_batches(ds, 4, shuffle=False, augment=False, generator=None, drop_last=True)
    )
    assert len(dropped) == num_batches(10, 4, drop_last=True) == 2
    assert num_batches(10, 4) == 3


def test_shuffled_batches_cover_every_example_once_and_repeat_per_seed() -> None:
    ds = small_dataset(10)

    def epoch(seed: int) -> list[int]:
        batches = iterate_batches(ds, 3, shuffle=True, augment=True, generator=generator(seed))
        labels = []
        for images, batch_labels in batches:
            for image, label in zip(images, batch_labels, strict=True):
                source = ds.images[label]  # the augmented image is a shifted/flipped source
                assert torch.isin(image[image != ds.black], source).all()
            labels += batch_labels.tolist()
        return labels

    assert sorted(epoch(0)) == list(range(10))
    assert epoch(0) == epoch(0) and epoch(0) != epoch(1)
    with pytest.raises(ValueError, match="seeded generator"):
        iterate_batches(ds, 3, shuffle=True, augment=False, generator=None)
    with pytest.raises(UserError, match="batch size must be at least 1"):
        iterate_batches(ds, 0, shuffle=False, augment=False, generator=None)


def test_device_and_channels_last() -> None:
    ds = small_dataset(6)
    x, _ = next(
        iterate_batches(
            ds, 6, shuffle=False, augment=False, generator=None, device="cpu", channels_last=True
        )
    )
    assert x.is_contiguous(memory_format=torch.channels_last) and torch.equal(x, ds.images)
    moved = ds.to("cpu")
    assert torch.equal(moved.images, ds.images) and moved.augmentation == ds.augmentation
    with pytest.raises(UserError, match="unknown device"):
        iterate_batches(ds, 2, shuffle=False, augment=False, generator=None, device="gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(UserError, match="CUDA is not available"):
            iterate_batches(ds, 2, shuffle=False, augment=False, generator=None, device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
def test_batches_on_cuda_match_cpu() -> None:
    ds = small_dataset(8)
    cpu = list(iterate_batches(ds, 4, shuffle=True, augment=True, generator=generator(5)))
    gpu = list(
        iterate_batches(ds, 4, shuffle=True, augment=True, generator=generator(5), device="cuda")
    )
    on_device = list(
        iterate_batches(ds.to("cuda"), 4, shuffle=True, augment=True, generator=generator(5))
    )
    for (xc, yc), (xg, yg), (xd, yd) in zip(cpu, gpu, on_device, strict=True):
        assert xg.is_cuda and xd.is_cuda
        assert torch.equal(xc, xg.cpu()) and torch.equal(xc, xd.cpu())
        assert torch.equal(yc, yg.cpu()) and torch.equal(yc, yd.cpu())


def test_skip_leaves_out_the_first_examples_before_limit_and_subset() -> None:
    from archsim.data.inputs import InputHandling, load_split
    from archsim.errors import UserError

    whole = load_split("digits", "test", None, InputHandling())
    tail = load_split("digits", "test", None, InputHandling(skip=100))
    assert len(tail) == len(whole) - 100 and torch.equal(tail.images, whole.images[100:])
    part = load_split("digits", "test", None, InputHandling(limit=50, skip=100))
    assert torch.equal(part.labels, whole.labels[100:150])  # disjoint from the first 100
    drawn = load_split("digits", "test", None, InputHandling(limit=20, subset_seed=3, skip=100))
    rows = {tuple(x.flatten().tolist()) for x in whole.images[:100]}
    assert len(drawn) == 20 and not any(tuple(x.flatten().tolist()) in rows for x in drawn.images)
    with pytest.raises(UserError, match="none would be left"):
        load_split("digits", "test", None, InputHandling(skip=len(whole)))
