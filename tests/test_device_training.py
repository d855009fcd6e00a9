"""Hardware-aware training (train/devicenoise.py): the chip's variation and read noise in the
forward pass, with the variances derived by hand, seeded, and through `archsim train`."""

import math
from pathlib import Path

import pytest
import torch

from archsim.checkpoint import read_checkpoint
from archsim.errors import UserError
from archsim.faults.devices import device_physics
from archsim.faults.sites import CellFormat
from archsim.train import make_spec, train
from archsim.train.devicenoise import DeviceNoise

FMT = CellFormat.of(8, 2, "offset")  # 8-bit weights in four 2-bit cells, slices 64, 16, 4, 1


def _weights() -> torch.Tensor:
    """200 x 200 weights, all 0 but one at 127: scale s_w = 127 / 127 = 1, codes = weights."""
    w = torch.zeros(200, 200)
    w[0, 0] = 127.0
    return w


def _sampler(variation: str | None, read_noise: str | None, seed: int = 0) -> DeviceNoise:
    physics = device_physics(variation, read_noise)
    return DeviceNoise(physics, {"fc": FMT}, torch.Generator().manual_seed(seed))


def test_read_noise_variance_by_hand() -> None:
    """rram-read-1pct: sd 0.01 x 3 levels per cell; a weight's error has variance
    0.03^2 x (64^2 + 16^2 + 4^2 + 1^2) = 0.0009 x 4369 = 3.9321 codes^2, sd 1.98295."""
    w = _weights()
    error = _sampler(None, "rram-read-1pct")("fc", w) - w
    assert float(error.std()) == pytest.approx(math.sqrt(0.0009 * 4369), rel=0.02)


def test_variation_variance_by_hand() -> None:
    """rram-wan2022 on code 0: offset u = 128 = 0b10|00|00|00, levels (2, 0, 0, 0); the cubic
    at G = 1 + 38.26 l / 3 uS, times 3 / 38.26, gives sigma(2) and sigma(0) in levels;
    variance = 64^2 sigma(2)^2 + (16^2 + 4^2 + 1) sigma(0)^2."""

    def sigma(level: int) -> float:
        g = 1.0 + 38.26 * level / 3
        return (1.536e-4 * g**3 - 1.167e-2 * g**2 + 0.2374 * g + 1.053) * 3 / 38.26

    w = _weights()
    error = (_sampler("rram-wan2022", None)("fc", w) - w).reshape(-1)[1:]  # the code-0 weights
    expected = 4096 * sigma(2) ** 2 + 273 * sigma(0) ** 2
    assert float(error.var()) == pytest.approx(expected, rel=0.03)


def test_noise_is_seeded_fresh_per_pass_and_passes_the_gradient() -> None:
    w = (torch.arange(24.0).reshape(4, 6) - 12).requires_grad_()
    first = _sampler("rram-wan2022", "rram-read-1pct", seed=5)
    again = _sampler("rram-wan2022", "rram-read-1pct", seed=5)
    a, b = first("fc", w), again("fc", w)
    assert torch.equal(a, b)  # the same seed, the same draw
    assert not torch.equal(a, w)  # the forward differs from the clean one
    assert not torch.equal(first("fc", w), a)  # a fresh draw per forward pass
    a.sum().backward()
    assert w.grad is not None and torch.equal(w.grad, torch.ones_like(w))


def test_nonsense_noise_is_one_error_line() -> None:
    with pytest.raises(UserError, match="unknown variation"):
        make_spec(model="lenet5", variation="bogus")


@pytest.mark.slow
def test_archsim_train_applies_the_device_noise(tmp_path: Path) -> None:
    """One epoch on 128 digits, with and without read noise x 10 (seed 0): the noisy run's
    checkpoint has its own name and other weights (the noise changed the forward passes)."""
    base = dict(model="lenet5", dataset="digits", limit=128, val_limit=30, batch_size=64,
                val_chips=0, epochs=1, progress=False, out_dir=str(tmp_path))  # fmt: skip
    clean = train(make_spec(**base))
    noisy = train(make_spec(**base, read_noise="rram-read-1pct:10"))
    assert noisy.checkpoint.name.endswith("-standard-rram-read-1pctx10.safetensors")
    assert noisy.checkpoint != clean.checkpoint
    state_a = read_checkpoint(clean.checkpoint).state
    state_b = read_checkpoint(noisy.checkpoint).state
    layers = read_checkpoint(noisy.checkpoint).meta["rram_layers"]
    assert layers and any(
        not torch.equal(state_a[f"{n}.weight"], state_b[f"{n}.weight"]) for n in layers
    )
