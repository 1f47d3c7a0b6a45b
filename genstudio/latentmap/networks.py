"""A convolutional VAE with a 2-D latent: every face becomes a point on a plane, and every point on the
plane decodes to a face (the KL term keeps the plane filled around the origin, so clicks between the
training points still decode to faces — a plain autoencoder leaves holes there)."""

from __future__ import annotations

import torch
from torch import nn


class MapAutoencoder(nn.Module):
    def __init__(self, resolution: int = 64, width: int = 32, latent_dim: int = 2, hidden: int = 256):
        super().__init__()
        if resolution not in (32, 64):
            raise ValueError("resolution must be 32 or 64")
        self.resolution, self.latent_dim = resolution, latent_dim
        w = width
        downs = 4 if resolution == 64 else 3
        chans = [3] + [w * 2 ** min(i, 3) for i in range(downs)]
        enc: list[nn.Module] = []
        for i in range(downs):
            enc += [nn.Conv2d(chans[i], chans[i + 1], 4, 2, 1), nn.BatchNorm2d(chans[i + 1]), nn.LeakyReLU(0.2, True)]
        self.encoder = nn.Sequential(*enc, nn.Flatten(), nn.Linear(chans[-1] * 16, hidden), nn.LeakyReLU(0.2, True))
        self.mu = nn.Linear(hidden, latent_dim)
        self.logvar = nn.Linear(hidden, latent_dim)
        self.base = chans[-1]
        self.project = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(True), nn.Linear(hidden, self.base * 16),
                                     nn.ReLU(True))
        dec: list[nn.Module] = []
        rev = chans[::-1]
        for i in range(downs - 1):
            dec += [nn.ConvTranspose2d(rev[i], rev[i + 1], 4, 2, 1), nn.BatchNorm2d(rev[i + 1]), nn.ReLU(True)]
        dec += [nn.ConvTranspose2d(rev[downs - 1], 3, 4, 2, 1), nn.Tanh()]
        self.decoder = nn.Sequential(*dec)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x)
        return self.mu(h), self.logvar(h).clamp(-10, 10)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.project(z).view(z.shape[0], self.base, 4, 4))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp() if self.training else mu
        return self.decode(z), mu, logvar
