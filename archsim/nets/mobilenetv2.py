"""CIFAR MobileNetV2 (Sandler et al., CVPR 2018; the pytorch-cifar variant by default).

A 3x3 stem conv to 32 channels with stride 1 (ImageNet uses 2), 17 inverted-residual blocks
in seven stages, a 1x1 conv to 1280 channels, global average pooling and one Linear layer.
As in pytorch-cifar: the second stage keeps stride 1 (ImageNet: 2) so a 32x32 input ends at
4x4, ReLU instead of ReLU6, the expansion conv is kept in the expansion-1 block, and stride-1
blocks that change channels add a 1x1 conv + BN projection of their input. The options
`shortcut="none"` and `activation="relu6"` give Sandler's originals. Every channel count,
expansion channels and the 1280 included, is scaled by the width multiplier.
Modules: `conv1`, `layers.<i>.{expand,depthwise,project,shortcut.0}`, `conv2`, `fc`.
"""

import torch
from torch import nn

from archsim.nets.blocks import InvertedResidual
from archsim.nets.width import scale

# (expansion, output channels, blocks, stride of the first block); expansion None = option.
STAGES: tuple[tuple[int | None, int, int, int], ...] = (
    (1, 16, 1, 1),
    (None, 24, 2, 1),
    (None, 32, 3, 2),
    (None, 64, 4, 2),
    (None, 96, 3, 1),
    (None, 160, 3, 2),
    (None, 320, 1, 1),
)
STEM_CHANNELS = 32
LAST_CHANNELS = 1280
ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "relu6": nn.ReLU6}
SHORTCUTS = ("1x1", "none")


class CifarMobileNetV2(nn.Module):
    """MobileNetV2 for 32x32 images (also runs on 8x8 and 28x28)."""

    def __init__(
        self,
        width: float = 1.0,
        num_classes: int = 10,
        in_channels: int = 3,
        expansion: int = 6,
        shortcut: str = "1x1",
        activation: str = "relu",
    ) -> None:
        super().__init__()
        act = ACTIVATIONS[activation]
        stem = scale(STEM_CHANNELS, width)
        self.conv1 = nn.Conv2d(in_channels, stem, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        self.relu1 = act()
        blocks = []
        base_in = STEM_CHANNELS
        for stage_expansion, base_out, count, first_stride in STAGES:
            ratio = expansion if stage_expansion is None else stage_expansion
            for block in range(count):
                blocks.append(
                    InvertedResidual(
                        scale(base_in, width),
                        scale(base_out, width),
                        scale(base_in * ratio, width),
                        stride=first_stride if block == 0 else 1,
                        project_shortcut=shortcut == "1x1",
                        activation=act,
                    )
                )
                base_in = base_out
        self.layers = nn.Sequential(*blocks)
        last = scale(LAST_CHANNELS, width)
        self.conv2 = nn.Conv2d(scale(base_in, width), last, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(last)
        self.relu2 = act()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(last, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.relu2(self.bn2(self.conv2(self.layers(out))))
        y: torch.Tensor = self.fc(self.flatten(self.pool(out)))
        return y
