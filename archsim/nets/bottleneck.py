"""The linear-bottleneck study's nets (docs/sources.md s.1).

- `MiniMobileNet`: k inverted-residual (linear bottleneck) blocks and one Linear layer, for
  MNIST-sized inputs (the paper's Figure 1C). The study's code used blocks of 8 output
  channels, expansion 6, stride 1, ReLU6, and flattened the whole 8x28x28 map into the
  classifier. Here an adaptive average pool to `pool_size` x `pool_size` comes first so the
  classifier does not depend on the input size; `pool_size=28` reproduces the study's
  classifier exactly on 28x28 inputs, the default 7 keeps its layout at 1/16 of the weights.
  The first block changes the channel count (image -> 8), so it has no residual add (the
  study's code broadcast a 1-channel input onto 8 channels, which breaks for RGB input).
- ResNet-20 with linear bottlenecks (Figure 1D): the block 3x3 convs at the chosen 0-based
  indices (0..17, conv1 before conv2, block by block) become InvertedResidual blocks with
  the same input/output channels and stride; the BN after each replaced conv stays, as in the
  study's code. The default replaces the paper's 4th, 6th, 10th, 12th, 16th and 18th convs
  (Figure 4C/F). Shape-changing positions (0, 6, 12), which the study never replaced, get no
  inner residual add.
"""

import torch
from torch import nn

from archsim.nets.blocks import InvertedResidual, conv3x3
from archsim.nets.resnet import CifarResNet
from archsim.nets.width import scale

PAPER_REPLACED = (3, 5, 9, 11, 15, 17)


class MiniMobileNet(nn.Module):
    """`blocks` linear bottlenecks of `channels` outputs, adaptive pool, Linear classifier."""

    def __init__(
        self,
        blocks: int = 2,
        width: float = 1.0,
        num_classes: int = 10,
        in_channels: int = 1,
        channels: int = 8,
        expansion: int = 6,
        pool_size: int = 7,
    ) -> None:
        super().__init__()
        layers = []
        base_in, actual_in = in_channels, in_channels
        for _ in range(blocks):
            out = scale(channels, width)
            hidden = scale(base_in * expansion, width)
            layers.append(InvertedResidual(actual_in, out, hidden, activation=nn.ReLU6))
            base_in, actual_in = channels, out
        self.blocks = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(pool_size)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(actual_in * pool_size * pool_size, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y: torch.Tensor = self.fc(self.flatten(self.pool(self.blocks(x))))
        return y


def bottleneck_resnet20(
    replace: tuple[int, ...] = PAPER_REPLACED,
    width: float = 1.0,
    num_classes: int = 10,
    in_channels: int = 3,
    shortcut: str = "A",
    expansion: int = 6,
) -> CifarResNet:
    """ResNet-20 whose block convs at `replace` (0-based, 0..17) are linear bottlenecks."""
    chosen = frozenset(replace)

    def make_conv(index: int, base_in: int, base_out: int, stride: int) -> nn.Module:
        cin, cout = scale(base_in, width), scale(base_out, width)
        if index not in chosen:
            return conv3x3(cin, cout, stride)
        hidden = scale(base_in * expansion, width)
        return InvertedResidual(cin, cout, hidden, stride, activation=nn.ReLU6)

    return CifarResNet(3, width, num_classes, in_channels, shortcut, conv_factory=make_conv)
