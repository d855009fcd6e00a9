"""A small vision transformer (Dosovitskiy et al., ICLR 2021) for 8x8 digits and 28x28 images.

Patch embedding (a conv with kernel = stride = patch), a learned position embedding, `depth`
pre-norm encoder blocks (layer norm, multi-head self-attention, layer norm, a GELU MLP, each
with a residual add), a final layer norm, the mean over tokens and a Linear classifier (no
class token: mean pooling, as in several small-data ViTs).

On the chip (archsim/mapping): the patch embedding, the Q/K/V projection, the attention output
projection, the MLP and the classifier hold weights and map onto crossbars; Q K^T and
attention x V multiply two activations, and the softmax, layer norms, GELUs and adds run off
the crossbars (policy.py: on the CPU path by default, on the tile's digital units with the
`attention-digital` policy). Faults fall on the crossbar weights only.

Every tensor op is written so torch.fx traces it (no shape unpacking of a traced tensor).
The width multiplier scales the head dimension and the MLP's hidden units.
"""

import torch
from torch import nn

from archsim.errors import UserError
from archsim.nets.width import scale


class Attention(nn.Module):
    """Multi-head self-attention on (batch, tokens, dim) with one fused Q/K/V Linear."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        qkv = self.qkv(x).unflatten(-1, (3, self.heads, self.head_dim)).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # each (batch, heads, tokens, head_dim)
        scores = (q @ k.transpose(-2, -1)) * self.head_dim**-0.5
        out = scores.softmax(dim=-1) @ v
        y: torch.Tensor = self.proj(out.transpose(1, 2).flatten(2))
        return y


class EncoderBlock(nn.Module):
    def __init__(self, dim: int, heads: int, hidden: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        y: torch.Tensor = x + self.fc2(self.act(self.fc1(self.norm2(x))))
        return y


class VisionTransformer(nn.Module):
    # One keyword per architecture option: the zoo's `vit` entry exposes each as a model
    # option (`nets/registry.py`), so the constructor mirrors that public list.
    def __init__(
        self,
        width: float = 1.0,
        num_classes: int = 10,
        in_channels: int = 1,
        image_size: int = 8,
        patch: int = 2,
        depth: int = 2,
        heads: int = 2,
        head_dim: int = 16,
        mlp_ratio: int = 2,
    ) -> None:
        super().__init__()
        if image_size % patch:
            raise UserError(f"vit: image_size {image_size} is not a multiple of patch {patch}")
        dim = heads * scale(head_dim, width)
        tokens = (image_size // patch) ** 2
        self.patch_embed = nn.Conv2d(in_channels, dim, patch, stride=patch)
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens, dim))
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        self.blocks = nn.Sequential(*(EncoderBlock(dim, heads, scale(mlp_ratio * dim, 1.0))
                                      for _ in range(depth)))  # fmt: skip
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = self.patch_embed(x).flatten(2).transpose(1, 2) + self.pos_embed
        y: torch.Tensor = self.head(self.norm(self.blocks(tokens)).mean(dim=1))
        return y
