"""A user's network written with functional ops, for the CLI tests (archsim.nets.user)."""

import torch
import torch.nn.functional as F
from torch import nn

INPUT_SHAPE = (1, 8, 8)


class FuncNet(nn.Module):
    def __init__(self, channels: int, num_classes: int, in_channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv1(x))
        y = F.relu(self.conv2(x)) + x
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


def make(
    width: float = 1.0, num_classes: int = 10, in_channels: int = 1, base: int = 8
) -> nn.Module:
    """Two 3x3 convs with a functional residual add, global pooling, a Linear."""
    return FuncNet(max(1, int(base * width)), num_classes, in_channels)


def fixed(num_classes: int = 10) -> nn.Module:
    """One size only: no width parameter."""
    return FuncNet(4, num_classes, 1)
