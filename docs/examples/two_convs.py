"""Two 3x3 convolutions, 16 channels in and out, for the eDRAM scenario of docs/validation.md
s.9 (`archsim map --model docs/examples/two_convs.py:make --input-shape 16,4,10 ...`)."""

from torch import nn


def make(width: float = 1.0, num_classes: int = 10, in_channels: int = 16) -> nn.Module:
    """conv1 -> conv2, each 3x3 with padding 1 and no bias: every output row of conv2 reads
    three rows of conv1's output. `width` and `num_classes` are accepted and unused."""
    del width, num_classes
    return nn.Sequential(
        nn.Conv2d(in_channels, 16, 3, padding=1, bias=False),
        nn.Conv2d(16, 16, 3, padding=1, bias=False),
    )
