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


class GrownGenerator(nn.Module):
    """A trained generator grown to twice its resolution (progressive growing, Karras et al. 2018).

    The base's trunk is kept (so the compute already spent and its latent space are kept); a new block
    replaces its last layer (`to RGB`): up-sampling conv, BN, ReLU, then a conv to RGB at 2× the size.
    While `alpha` < 1 the new output is faded in over the base's own output, up-sampled.
    """

    def __init__(self, base: Generator, width: int = 48):
        super().__init__()
        self.base, self.z_dim, self.resolution = base, base.z_dim, base.resolution * 2
        trunk_channels = base.blocks[-2].in_channels
        self.block = nn.Sequential(
            nn.ConvTranspose2d(trunk_channels, width, 4, 2, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(True),
            nn.ConvTranspose2d(width, 3, 4, 2, 1), nn.Tanh(),
        )
        self.register_buffer("alpha", torch.tensor(1.0))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.base.project(z).view(z.shape[0], self.base.base_channels, 4, 4)
        h = self.base.blocks[:-2](x)
        new = self.block(h)
        if float(self.alpha) >= 1:
            return new
        old = nn.functional.interpolate(self.base.blocks[-2:](h), scale_factor=2, mode="nearest")
        return self.alpha * new + (1 - self.alpha) * old


class GrownCritic(nn.Module):
    """A trained critic grown to read twice the resolution: a new strided front (from RGB at 2×) produces
    what the base's first layer produced, faded in over that layer applied to the average-pooled input."""

    def __init__(self, base: Critic, width: int = 24):
        super().__init__()
        self.base, self.resolution = base, base.resolution * 2
        first = base.features[0]
        self.front = nn.Sequential(
            nn.Conv2d(3, width, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(width, first.out_channels, 4, 2, 1), nn.LeakyReLU(0.2, True),
        )
        self.register_buffer("alpha", torch.tensor(1.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.front(x)
        if float(self.alpha) < 1:
            old = self.base.features[:2](nn.functional.avg_pool2d(x, 2))
            h = self.alpha * h + (1 - self.alpha) * old
        return self.base.score(self.base.features[2:](h).flatten(1)).squeeze(1)
