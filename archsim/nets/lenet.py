"""LeNet-5 (LeCun et al., Proc. IEEE 1998) with ReLU, as commonly trained today.

conv5x5 -> 6, 2x2 average pool, conv5x5 -> 16, 2x2 average pool, Linear 400 -> 120 -> 84 ->
classes. Padding rule: both convs pad by 2 ("same" 5x5 convs), so only the pools shrink the
map and an 8x8 digit still has a 2x2 map after the second pool (an unpadded 5x5 conv on
its 4x4 map would not fit). The classic 16 x 5 x 5 = 400 classifier input is kept by an
adaptive average pool to 5x5 before `fc1`: maps are 8 -> 4 -> 2 (pooled up to 5x5) for
digits, 28 -> 14 -> 7 -> 5x5 for MNIST and 32 -> 16 -> 8 -> 5x5 for CIFAR-sized input.
At width 1.0 the parameter count is the textbook 61,706 of the MNIST LeNet-5.
The hidden 120 and 84 units count as channels and are scaled by the width multiplier.
"""

import torch
from torch import nn

from archsim.nets.width import scale

CONV_CHANNELS = (6, 16)
HIDDEN_UNITS = (120, 84)
POOLED_SIZE = 5


class LeNet5(nn.Module):
    """LeNet-5 for 8x8, 28x28 and 32x32 inputs."""

    def __init__(self, width: float = 1.0, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        c1, c2 = (scale(c, width) for c in CONV_CHANNELS)
        h1, h2 = (scale(h, width) for h in HIDDEN_UNITS)
        self.conv1 = nn.Conv2d(in_channels, c1, 5, padding=2)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.AvgPool2d(2)
        self.conv2 = nn.Conv2d(c1, c2, 5, padding=2)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.AvgPool2d(2)
        self.pool = nn.AdaptiveAvgPool2d(POOLED_SIZE)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(c2 * POOLED_SIZE * POOLED_SIZE, h1)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(h1, h2)
        self.relu4 = nn.ReLU()
        self.fc3 = nn.Linear(h2, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.pool1(self.relu1(self.conv1(x)))
        out = self.pool2(self.relu2(self.conv2(out)))
        out = self.flatten(self.pool(out))
        y: torch.Tensor = self.fc3(self.relu4(self.fc2(self.relu3(self.fc1(out)))))
        return y
