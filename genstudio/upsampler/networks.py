"""Super-resolution networks: a small residual CNN that adds detail to a bicubic 2× up-sampling (so it starts
as bicubic and learns only what bicubic misses). Its patch critic is training-only: genstudio.training.critics."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ResBlock(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(width, width, 3, 1, 1), nn.ReLU(True), nn.Conv2d(width, width, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 0.2 * self.body(x)


def bicubic2x(x: torch.Tensor) -> torch.Tensor:
    """Bicubic 2× up-sampling, [-1, 1] in and out: the base the up-sampler adds its residual to (and, on its own,
    the baseline every measurement of it compares against)."""
    return F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=False).clamp(-1, 1)


class Upsampler(nn.Module):
    """[-1, 1] RGB [N, 3, H, W] -> [N, 3, 2H, 2W]: bicubic up-sampling plus a learnt residual."""

    def __init__(self, width: int = 32, blocks: int = 4):
        super().__init__()
        self.head = nn.Conv2d(3, width, 3, 1, 1)
        self.blocks = nn.Sequential(*[ResBlock(width) for _ in range(blocks)])
        self.up = nn.Sequential(nn.Conv2d(width, width * 4, 3, 1, 1), nn.PixelShuffle(2), nn.ReLU(True))
        self.tail = nn.Conv2d(width, 3, 3, 1, 1)
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        base = F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=False)  # = bicubic2x before the clamp
        h = self.head(x)
        return (base + self.tail(self.up(h + self.blocks(h)))).clamp(-1, 1)
