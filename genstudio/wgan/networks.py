"""DCGAN-shaped generator and critic for WGAN-GP, sized by one `width` so CPU and GPU configs share code.

The critic has no batch norm (the gradient penalty is per example, batch statistics would break it —
Gulrajani et al. §4); it can use a per-sample layer norm (GroupNorm with one group) or nothing.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def _levels(resolution: int) -> int:
    levels = int(math.log2(resolution)) - 2  # 4x4 base
    if 2 ** (levels + 2) != resolution or levels < 1:
        raise ValueError(f"resolution must be a power of two >= 8, got {resolution}")
    return levels


class Generator(nn.Module):
    """z [N, z_dim] -> image [N, 3, R, R] in [-1, 1]: linear to 4x4, then (upsample conv, BN, ReLU) blocks.

    Channels halve at each doubling of resolution starting from width * 2**(levels-1), so every block
    costs about the same number of multiply-adds (the DCGAN pyramid).
    """

    def __init__(self, z_dim: int = 128, width: int = 32, resolution: int = 64, max_channels: int = 512):
        super().__init__()
        self.z_dim, self.width, self.resolution = z_dim, width, resolution
        levels = _levels(resolution)
        chans = [min(max_channels, width * 2 ** (levels - 1 - i)) for i in range(levels)] + [width]
        self.project = nn.Sequential(nn.Linear(z_dim, chans[0] * 16), nn.BatchNorm1d(chans[0] * 16), nn.ReLU(True))
        blocks: list[nn.Module] = []
        for i in range(levels - 1):
            blocks += [
                nn.ConvTranspose2d(chans[i], chans[i + 1], 4, 2, 1, bias=False),
                nn.BatchNorm2d(chans[i + 1]),
                nn.ReLU(True),
            ]
        blocks += [nn.ConvTranspose2d(chans[levels - 1], 3, 4, 2, 1), nn.Tanh()]
        self.blocks = nn.Sequential(*blocks)
        self.base_channels = chans[0]

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.project(z).view(z.shape[0], self.base_channels, 4, 4)
        return self.blocks(x)


class Critic(nn.Module):
    """image -> one unbounded score per example (Wasserstein critic). No batch norm by construction."""

    def __init__(self, width: int = 32, resolution: int = 64, norm: str = "none", max_channels: int = 512):
        super().__init__()
        if norm not in ("none", "layer"):
            raise ValueError("critic norm must be 'none' or 'layer' (batch norm breaks the gradient penalty)")
        self.width, self.resolution = width, resolution
        levels = _levels(resolution)
        chans = [3] + [min(max_channels, width * 2**i) for i in range(levels)]
        layers: list[nn.Module] = []
        for i in range(levels):
            layers.append(nn.Conv2d(chans[i], chans[i + 1], 4, 2, 1))
            if norm == "layer" and i > 0:
                layers.append(nn.GroupNorm(1, chans[i + 1]))
            layers.append(nn.LeakyReLU(0.2, True))
        self.features = nn.Sequential(*layers)
        self.score = nn.Linear(chans[-1] * 16, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.score(self.features(x).flatten(1)).squeeze(1)


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """E[(||grad_x D(x_hat)||_2 - 1)^2] at x_hat = a*real + (1-a)*fake, with one a per example.

    The norm is taken over all of C, H, W of each example (not over dim=1 only, Zeleni9/pytorch-wgan#40),
    and a is drawn per example, not per pixel (PyTorch-GAN#5).
    """
    alpha = torch.rand(real.shape[0], 1, 1, 1, device=real.device, dtype=real.dtype)
    mixed = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    scores = critic(mixed)
    (grads,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
    norms = grads.flatten(1).norm(2, dim=1)
    return ((norms - 1) ** 2).mean()
