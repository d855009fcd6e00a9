"""CIFAR VGG-11/13/16 (Simonyan and Zisserman, ICLR 2015; the pytorch-cifar variant).

Stacks of conv3x3-BN-ReLU with 2x2 max-pools, global average pooling and one Linear layer
from 512 (x width) channels to the classes. The convs have no bias because the BN right
after absorbs it (the pytorch-cifar code keeps a redundant bias: VGG-13 there has 2,944
more parameters). Modules are `features.<i>` in layer order, then `pool`, `flatten`, `fc`.

Small inputs: a max-pool whose input is already smaller than 2x2 passes it through
unchanged (`SkippingMaxPool`), so 8x8 digits go 8 -> 4 -> 2 -> 1 -> 1 -> 1 through the five
pools instead of failing; 28x28 goes 28 -> 14 -> 7 -> 3 -> 1 -> 1; 32x32 is unaffected.
"""

import torch
from torch import nn

from archsim.nets.width import scale

POOL = "M"
CONFIGS: dict[str, tuple[int | str, ...]] = {
    "vgg11": (64, POOL, 128, POOL, 256, 256, POOL, 512, 512, POOL, 512, 512, POOL),
    "vgg13": (64, 64, POOL, 128, 128, POOL, 256, 256, POOL, 512, 512, POOL, 512, 512, POOL),
    "vgg16": (
        64, 64, POOL, 128, 128, POOL, 256, 256, 256, POOL,
        512, 512, 512, POOL, 512, 512, 512, POOL,
    ),
}  # fmt: skip


class SkippingMaxPool(nn.MaxPool2d):
    """2x2/stride-2 max-pool that returns maps smaller than 2x2 unchanged, not empty."""

    def __init__(self) -> None:
        super().__init__(kernel_size=2, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2] < 2 or x.shape[-1] < 2:
            return x
        y: torch.Tensor = super().forward(x)
        return y


class CifarVGG(nn.Module):
    """VGG for small images, built from one of `CONFIGS`."""

    def __init__(
        self,
        config: tuple[int | str, ...],
        width: float = 1.0,
        num_classes: int = 10,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = in_channels
        for item in config:
            if isinstance(item, str):  # POOL
                layers.append(SkippingMaxPool())
                continue
            out = scale(item, width)
            layers += [
                nn.Conv2d(channels, out, 3, padding=1, bias=False),
                nn.BatchNorm2d(out),
                nn.ReLU(),
            ]
            channels = out
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y: torch.Tensor = self.fc(self.flatten(self.pool(self.features(x))))
        return y
