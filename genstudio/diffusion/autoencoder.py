"""A small convolutional autoencoder: 64 px artwork <-> a 16×16×4 latent that the diffusion model works in.

Why not diffusers' AutoencoderKL: at this size its full-resolution blocks cost 3–4× more per step on the
CPU for the same latent, and flat-coloured art on white needs little capacity. The first layer already
strides, so almost no work happens at full resolution. The latent is regularised (small L2 pull and noise
on the code during training) so that the decoder forgives the small errors of diffusion samples; its
per-channel mean/std are measured on the data at export and stored in the config, so that the diffusion
model sees unit-variance latents.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..weights import load as load_weights


class ResBlock(nn.Module):
    def __init__(self, channels: int, groups: int = 8):
        super().__init__()
        self.body = nn.Sequential(
            nn.GroupNorm(groups, channels), nn.SiLU(), nn.Conv2d(channels, channels, 3, padding=1),
            nn.GroupNorm(groups, channels), nn.SiLU(), nn.Conv2d(channels, channels, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class Autoencoder(nn.Module):
    """Encoder: two stride-2 stages (×4 down), decoder mirrors it with nearest upsampling + conv."""

    def __init__(self, channels: tuple[int, ...] = (48, 96), latent_channels: int = 4, blocks: int = 1,
                 out_channels: int = 32, groups: int = 8):
        super().__init__()
        c1, c2 = channels
        self.config = {"channels": list(channels), "latent_channels": latent_channels, "blocks": blocks,
                       "out_channels": out_channels, "groups": groups}
        self.encoder = nn.Sequential(
            nn.Conv2d(3, c1, 4, 2, 1), *[ResBlock(c1, groups) for _ in range(blocks)],
            nn.Conv2d(c1, c2, 4, 2, 1), *[ResBlock(c2, groups) for _ in range(blocks + 1)],
            nn.GroupNorm(groups, c2), nn.SiLU(), nn.Conv2d(c2, latent_channels, 1),
        )
        self.decoder = nn.Sequential(
            nn.Conv2d(latent_channels, c2, 3, padding=1), *[ResBlock(c2, groups) for _ in range(blocks + 1)],
            nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c2, c1, 3, padding=1),
            *[ResBlock(c1, groups) for _ in range(blocks)],
            nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c1, out_channels, 3, padding=1),
            nn.SiLU(), nn.Conv2d(out_channels, 3, 3, padding=1),
        )
        self.register_buffer("latent_mean", torch.zeros(latent_channels))
        self.register_buffer("latent_std", torch.ones(latent_channels))

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> Autoencoder:
        keys = ("channels", "latent_channels", "blocks", "out_channels", "groups")
        return cls(**{k: (tuple(cfg[k]) if k == "channels" else cfg[k]) for k in keys if k in cfg})

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """[-1, 1] images -> raw latents."""
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Raw latents -> images (roughly [-1, 1]; clamp before display)."""
        return self.decoder(z)

    def normalize(self, z: torch.Tensor) -> torch.Tensor:
        """Raw latents -> the unit-variance latents the diffusion model is trained on."""
        return (z - self.latent_mean[None, :, None, None]) / self.latent_std[None, :, None, None]

    def denormalize(self, z: torch.Tensor) -> torch.Tensor:
        return z * self.latent_std[None, :, None, None] + self.latent_mean[None, :, None, None]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def load_autoencoder(name: str, device: torch.device | str = "cpu") -> tuple[Autoencoder, str]:
    """The exported autoencoder (with its latent statistics), frozen, and its checkpoint digest."""
    loaded = load_weights(name, hint=f"genstudio train pokemon-autoencoder --config configs/{name}-cpu.yaml")
    ae = Autoencoder.from_config(loaded.config)
    ae.load_state_dict(loaded.tensors)
    ae.config["image_size"] = int(loaded.config.get("image_size", 64))
    return ae.to(device).eval().requires_grad_(False), loaded.checkpoint
