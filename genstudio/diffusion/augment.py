"""Batched augmentation for artwork on white: flip, rotation with white fill, scale/translate, hue shift.

Everything is one affine grid_sample per batch, so augmentation costs little next to a training step and
keeps the (only) cores on the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

# RGB <-> YIQ: a hue shift is a rotation of the (I, Q) chroma plane.
_RGB2YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
_YIQ2RGB = torch.linalg.inv(_RGB2YIQ)


@dataclass
class Augment:
    """Random geometric and colour changes; images are [-1, 1] tensors [N, 3, H, W] on a white background."""

    hflip: bool = True
    rotate: float = 30.0  # max degrees either way
    scale: float = 0.1  # zoom factor drawn from [1 - scale, 1 + scale]
    translate: float = 0.06  # max shift as a fraction of the image size
    hue: float = 0.0  # max hue rotation in turns (0.5 = any hue); off by default: colour carries the type
    p: float = 1.0  # probability that an image gets the geometric transform at all

    @classmethod
    def from_config(cls, cfg: dict | None) -> Augment:
        return cls(**(cfg or {}))

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        n = x.shape[0]

        def uniform(lo: float, hi: float) -> torch.Tensor:
            return torch.rand(n, generator=generator) * (hi - lo) + lo

        angle = uniform(-self.rotate, self.rotate) * math.pi / 180
        zoom = uniform(1 - self.scale, 1 + self.scale)
        shift = torch.stack([uniform(-self.translate, self.translate) for _ in range(2)], 1) * 2
        flip = (torch.rand(n, generator=generator) < 0.5) if self.hflip else torch.zeros(n, dtype=torch.bool)
        apply = torch.rand(n, generator=generator) < self.p
        angle, shift = angle * apply, shift * apply[:, None]
        zoom = torch.where(apply, zoom, torch.ones_like(zoom))
        cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
        sign = torch.where(flip, -1.0, 1.0)
        # output->input sampling matrix: rotate/scale, mirror x for flipped images, then shift
        theta = torch.stack(
            [torch.stack([cos * sign, -sin, shift[:, 0]], 1), torch.stack([sin * sign, cos, shift[:, 1]], 1)], 1
        ).to(x)
        if bool((angle != 0).any() or (zoom != 1).any() or flip.any() or (shift != 0).any()):
            grid = F.affine_grid(theta, list(x.shape), align_corners=False)
            # sample (x - 1) with zero padding so that everything outside the picture comes back white (+1)
            x = F.grid_sample(x - 1, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + 1
        if self.hue > 0:
            x = hue_shift(x, uniform(-self.hue, self.hue) * 2 * math.pi)
        return x.clamp(-1, 1)


def hue_shift(x: torch.Tensor, radians: torch.Tensor) -> torch.Tensor:
    """Rotate each image's hue by radians[i]; white and greys stay put (zero chroma)."""
    rgb2yiq, yiq2rgb = _RGB2YIQ.to(x), _YIQ2RGB.to(x)
    yiq = torch.einsum("ij,njhw->nihw", rgb2yiq, (x + 1) / 2)
    cos, sin = torch.cos(radians).to(x)[:, None, None], torch.sin(radians).to(x)[:, None, None]
    i, q = yiq[:, 1], yiq[:, 2]
    yiq = torch.stack([yiq[:, 0], cos * i - sin * q, sin * i + cos * q], 1)
    return torch.einsum("ij,njhw->nihw", yiq2rgb, yiq) * 2 - 1
