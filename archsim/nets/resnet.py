"""CIFAR ResNets of He et al. (CVPR 2016, section 4.2): ResNet-20/32/44/56.

A 3x3 stem conv to 16 channels, three stages of n basic blocks with 16, 32 and 64 channels
(the first block of stages 2 and 3 halves the map with stride 2), global average pooling and
one Linear layer: 6n + 2 weight layers. Adaptive pooling makes the net run on 8x8, 28x28 and
32x32 inputs alike. Module names follow the common CIFAR code: `conv1`, `layer2.0.conv1`,
`layer2.0.shortcut.0`, `fc`.
"""

from collections.abc import Callable

import torch
from torch import nn

from archsim.nets.blocks import BasicBlock, conv3x3
from archsim.nets.width import scale

STAGE_CHANNELS = (16, 32, 64)
STAGE_STRIDES = (1, 2, 2)

# Builds the block conv with this index (0-based over all block convs, conv1 before conv2)
# from (index, base input channels, base output channels, stride); base = before width.
ConvFactory = Callable[[int, int, int, int], nn.Module]


class CifarResNet(nn.Module):
    """ResNet-(6n+2) for small images; `conv_factory` may swap chosen block convs."""

    def __init__(
        self,
        blocks_per_stage: int,
        width: float = 1.0,
        num_classes: int = 10,
        in_channels: int = 3,
        shortcut: str = "A",
        conv_factory: ConvFactory | None = None,
    ) -> None:
        super().__init__()

        def plain(index: int, base_in: int, base_out: int, stride: int) -> nn.Module:
            return conv3x3(scale(base_in, width), scale(base_out, width), stride)

        make_conv = conv_factory or plain
        stem = STAGE_CHANNELS[0]
        self.conv1 = conv3x3(in_channels, scale(stem, width))
        self.bn1 = nn.BatchNorm2d(scale(stem, width))
        self.relu = nn.ReLU()
        base_in = stem
        index = 0
        stages: list[nn.Sequential] = []
        for base_out, first_stride in zip(STAGE_CHANNELS, STAGE_STRIDES, strict=True):
            blocks = []
            for block in range(blocks_per_stage):
                stride = first_stride if block == 0 else 1
                blocks.append(
                    BasicBlock(
                        scale(base_in, width),
                        scale(base_out, width),
                        stride,
                        shortcut,
                        conv1=make_conv(index, base_in, base_out, stride),
                        conv2=make_conv(index + 1, base_out, base_out, 1),
                    )
                )
                index += 2
                base_in = base_out
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(scale(STAGE_CHANNELS[-1], width), num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        y: torch.Tensor = self.fc(self.flatten(self.pool(out)))
        return y


def block_conv_count(blocks_per_stage: int) -> int:
    """Number of 3x3 convs inside the residual blocks (18 for ResNet-20)."""
    return 2 * blocks_per_stage * len(STAGE_CHANNELS)
