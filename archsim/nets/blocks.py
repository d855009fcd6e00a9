"""Building blocks shared by the zoo: residual add, shortcuts, BasicBlock, InvertedResidual.

Every operation a layer extractor must see is a module of its own: ReLUs are distinct
`nn.ReLU` instances (one per position, so a hook fires once per use) and residual sums go
through an `Add` module called as `self.add(out, shortcut)`.
"""

import torch
import torch.nn.functional as F
from torch import nn


class Add(nn.Module):
    """Elementwise sum of a residual branch and its shortcut, visible to forward hooks."""

    def forward(self, branch: torch.Tensor, shortcut: torch.Tensor) -> torch.Tensor:
        return branch + shortcut


class ZeroPadShortcut(nn.Module):
    """He et al.'s parameter-free option A: subsample by `stride`, zero-pad new channels.

    The extra channels are split as evenly as possible before and after the input ones
    (the usual CIFAR code pads `planes // 4` per side, which only works when the channel
    count exactly doubles; widths like 1.4 turn 44 channels into 89).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        extra = out_channels - in_channels
        self.pad_before = extra // 2
        self.pad_after = extra - self.pad_before

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, self.pad_before, self.pad_after))

    def extra_repr(self) -> str:
        return f"stride={self.stride}, pad=({self.pad_before}, {self.pad_after})"


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding 1 and no bias (a BatchNorm always follows)."""
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)


def projection(in_channels: int, out_channels: int, stride: int, kernel: int) -> nn.Sequential:
    """Conv + BN shortcut; children are named `0` (conv) and `1` (BN) as in common code."""
    conv = nn.Conv2d(
        in_channels, out_channels, kernel, stride=stride, padding=kernel // 2, bias=False
    )
    return nn.Sequential(conv, nn.BatchNorm2d(out_channels))


SHORTCUTS = ("A", "1x1", "3x3")


class BasicBlock(nn.Module):
    """CIFAR ResNet basic block: conv-BN-ReLU, conv-BN, add shortcut, ReLU.

    `conv1`/`conv2` replace the default 3x3 convolutions (ResNet-20 with linear bottlenecks
    swaps them for InvertedResidual blocks); the BNs after them stay, as in that paper's code.
    `shortcut` only matters on blocks that change shape: "A" zero-pads, "1x1"/"3x3" project.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        shortcut: str = "A",
        conv1: nn.Module | None = None,
        conv2: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.conv1 = conv1 if conv1 is not None else conv3x3(in_channels, out_channels, stride)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu1 = nn.ReLU()
        self.conv2 = conv2 if conv2 is not None else conv3x3(out_channels, out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut: nn.Module | None = None
        if stride != 1 or in_channels != out_channels:
            if shortcut == "A":
                self.shortcut = ZeroPadShortcut(in_channels, out_channels, stride)
            elif shortcut in ("1x1", "3x3"):
                kernel = int(shortcut[0])
                self.shortcut = projection(in_channels, out_channels, stride, kernel)
            else:
                raise ValueError(f"unknown shortcut {shortcut!r}; expected one of {SHORTCUTS}")
        self.add = Add()
        self.relu2 = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.shortcut is None else self.shortcut(x)
        y: torch.Tensor = self.relu2(self.add(out, identity))
        return y


class InvertedResidual(nn.Module):
    """MobileNetV2 linear bottleneck: 1x1 expand, 3x3 depthwise, 1x1 linear projection.

    Residual rule: stride 1 and equal channels add the input; stride 1 with a channel change
    adds a 1x1 conv + BN projection of the input only when `project_shortcut` is set (the
    pytorch-cifar variant does, Sandler et al. do not); stride 2 never adds. The expansion
    conv stays even at expansion 1, as in the pytorch-cifar variant.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        hidden_channels: int,
        stride: int = 1,
        project_shortcut: bool = False,
        activation: type[nn.Module] = nn.ReLU,
    ) -> None:
        super().__init__()
        self.expand = nn.Conv2d(in_channels, hidden_channels, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(hidden_channels)
        self.relu1 = activation()
        self.depthwise = nn.Conv2d(
            hidden_channels,
            hidden_channels,
            3,
            stride=stride,
            padding=1,
            groups=hidden_channels,
            bias=False,
        )
        self.bn2 = nn.BatchNorm2d(hidden_channels)
        self.relu2 = activation()
        self.project = nn.Conv2d(hidden_channels, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.shortcut: nn.Module | None = None
        self.add: Add | None = None
        if stride == 1 and (in_channels == out_channels or project_shortcut):
            self.add = Add()
            if in_channels != out_channels:
                self.shortcut = projection(in_channels, out_channels, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.relu1(self.bn1(self.expand(x)))
        out = self.relu2(self.bn2(self.depthwise(out)))
        out = self.bn3(self.project(out))
        if self.add is None:
            return out
        identity = x if self.shortcut is None else self.shortcut(x)
        y: torch.Tensor = self.add(out, identity)
        return y


def init_weights(net: nn.Module) -> None:
    """He-normal convs (fan_out, as torchvision's ResNets), BN at identity, default Linear."""
    for module in net.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
