"""Test helpers for the fault simulator: a tiny net and a hand-built `Mapping` for it.

The mapping tiles each weight layer the plain ISAAC way (one block per crossbar, rows of up
to `rows` matrix rows, `cols // cells_per_weight` weights per row) so the fault simulator can
be tested without the mapper.
"""

import copy
import functools
import math
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from archsim.mapping.records import CrossbarBlock, LayerMapping, LayerSpec, Mapping


class TinyNet(nn.Module):
    """3x3 conv -> BN -> 1x1 conv (a CPU layer under cpu-1x1) -> grouped 3x3 -> linear."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10, width: int = 8) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 1, bias=False)
        self.conv3 = nn.Conv2d(width, width, 3, padding=1, groups=2, bias=False)
        self.bn3 = nn.BatchNorm2d(width)
        self.fc = nn.Linear(width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.bn3(self.conv3(torch.relu(self.conv2(x)))))
        return self.fc(x.mean(dim=(2, 3)))


def _spec(name: str, module: nn.Module) -> LayerSpec:
    if isinstance(module, nn.Conv2d):
        k = module.kernel_size
        return LayerSpec(
            name,
            "conv",
            (),
            (),
            0,
            module.weight.numel(),
            module.in_channels,
            module.out_channels,
            (k[0], k[1]),
            groups=module.groups,
        )
    assert isinstance(module, nn.Linear)
    return LayerSpec(
        name, "linear", (), (), 0, module.weight.numel(), module.in_features, module.out_features
    )


def is_not_1x1(name: str, module: nn.Module) -> bool:
    return not (isinstance(module, nn.Conv2d) and module.kernel_size == (1, 1))


def toy_mapping(
    model: nn.Module,
    on_rram: Callable[[str, nn.Module], bool] = is_not_1x1,
    *,
    weight_bits: int = 16,
    bits_per_cell: int = 2,
    encoding: str = "offset",
    rows: int = 128,
    cols: int = 128,
    name: str = "tiny",
) -> Mapping:
    slices = math.ceil(weight_bits / bits_per_cell)
    cpw = slices * (2 if encoding == "differential" else 1)
    bias_cols = 1 if encoding == "offset" else 0
    per_row = (cols - bias_cols) // cpw
    layers, k = [], 0
    for mod_name, module in model.named_modules():
        if isinstance(module, nn.BatchNorm2d):
            spec = LayerSpec(mod_name, "bn", (), (), 0, 0)
            layers.append(LayerMapping(spec, "digital", "BatchNorm runs digitally"))
        if not isinstance(module, nn.Conv2d | nn.Linear):
            continue
        spec = _spec(mod_name, module)
        if not on_rram(mod_name, module):
            layers.append(LayerMapping(spec, "cpu", "test policy"))
            continue
        blocks = []
        for g in range(spec.groups):
            for r0 in range(0, spec.matrix_rows, rows):
                for c0 in range(0, spec.matrix_cols, per_row):
                    blocks.append(
                        CrossbarBlock(
                            mod_name,
                            g,
                            0,
                            r0,
                            min(r0 + rows, spec.matrix_rows),
                            c0,
                            min(c0 + per_row, spec.matrix_cols),
                            0,
                            k // 96,
                            (k // 8) % 12,
                            k % 8,
                        )
                    )
                    k += 1
        layers.append(
            LayerMapping(spec, "rram", "test policy", cpw, bias_cols, 1, tuple(blocks), len(blocks))
        )
    return Mapping(
        name,
        1.0,
        "test",
        "test",
        (1, 8, 8),
        rows,
        cols,
        weight_bits,
        bits_per_cell,
        encoding,
        tuple(layers),
        8,
        12,
        168,
        1,
    )  # type: ignore[arg-type]


@functools.cache
def digits() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(train images, train labels, test images, test labels) of the embedded digits."""
    from archsim.data import get_dataset

    train, test = get_dataset("digits", "train"), get_dataset("digits", "test")
    return train.images, train.labels, test.images, test.labels


def trained_tiny(width: int = 16, steps: int = 150) -> TinyNet:
    """A TinyNet trained on digits for well under a second (a fresh copy each call)."""
    return copy.deepcopy(_trained(width, steps))


@functools.cache
def _trained(width: int, steps: int) -> TinyNet:
    images, labels, _, _ = digits()
    gen = torch.Generator().manual_seed(0)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = TinyNet(width=width)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(steps):
        idx = torch.randint(0, len(images), (128,), generator=gen)
        loss = nn.functional.cross_entropy(model(images[idx]), labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


LENET5_META = {
    "net": "lenet5",
    "width": 1.0,
    "num_classes": 10,
    "in_channels": 1,
    "dataset": "digits",
    "method": "standard",
    "seed": 0,
}


def trained_lenet5(steps: int) -> torch.nn.Module:
    """A LeNet-5 trained `steps` seeded Adam steps (batches of 128) on digits, in eval mode."""
    from archsim.nets import get_net

    images, labels, _, _ = digits()
    model = get_net("lenet5", 1.0, 10, 1, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    gen = torch.Generator().manual_seed(0)
    for _ in range(steps):
        idx = torch.randint(0, len(images), (128,), generator=gen)
        loss = torch.nn.functional.cross_entropy(model(images[idx]), labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


def save_trained_lenet5(path: Path) -> Path:
    """A LeNet-5 trained 40 seeded Adam steps on digits, saved as a checkpoint at `path`."""
    from archsim.checkpoint import save_checkpoint

    save_checkpoint(path, trained_lenet5(40), LENET5_META)
    return path
