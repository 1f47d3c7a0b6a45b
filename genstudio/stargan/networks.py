"""StarGAN networks, compact as in yunjey/stargan, with two changes that help short CPU runs:

- instance norm without running statistics, so train and eval behave the same;
- an optional *residual* output, ``tanh(atanh(x) + h)`` with the last layer zero-initialised: the generator starts
  as the identity and only has to learn the change (Shen & Liu 2017), so reconstructions are sharp from step 0
  and the few thousand steps a CPU can afford all go into the edit itself.
"""

from __future__ import annotations

import torch
from torch import nn

ATTRIBUTES: tuple[str, ...] = (
    "Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair", "Heavy_Makeup", "Male", "Young",
)
HAIR: tuple[str, ...] = ATTRIBUTES[:4]  # one hair colour at a time


def _norm(channels: int) -> nn.Module:
    return nn.InstanceNorm2d(channels, affine=True, track_running_stats=False)


class ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False), _norm(channels), nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False), _norm(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class Generator(nn.Module):
    """Down-sampling, residual blocks, up-sampling; the target attribute vector is tiled onto the input."""

    def __init__(self, c_dim: int = len(ATTRIBUTES), conv_dim: int = 64, repeat_num: int = 6, residual: bool = True,
                 edge_kernel: int = 7):
        super().__init__()
        self.c_dim, self.residual = c_dim, residual
        k, pad = edge_kernel, edge_kernel // 2  # 7 in the paper; 3 costs a fifth at full resolution
        layers: list[nn.Module] = [nn.Conv2d(3 + c_dim, conv_dim, k, 1, pad, bias=False), _norm(conv_dim),
                                   nn.ReLU(True)]
        ch = conv_dim
        for _ in range(2):
            layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), _norm(ch * 2), nn.ReLU(True)]
            ch *= 2
        layers += [ResidualBlock(ch) for _ in range(repeat_num)]
        for _ in range(2):  # nearest up-sampling + conv: no transposed-conv checkerboard in the change maps
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(ch, ch // 2, 3, 1, 1, bias=False),
                       _norm(ch // 2), nn.ReLU(True)]
            ch //= 2
        self.body = nn.Sequential(*layers)
        self.out = nn.Conv2d(ch, 3, k, 1, pad, bias=False)
        if residual:
            nn.init.zeros_(self.out.weight)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        c_map = c.view(c.size(0), c.size(1), 1, 1).expand(-1, -1, x.size(2), x.size(3)).to(x.dtype)
        h = self.out(self.body(torch.cat([x, c_map], dim=1)))
        if self.residual:
            return torch.tanh(torch.atanh(x.clamp(-0.995, 0.995)) + h)
        return torch.tanh(h)


class Discriminator(nn.Module):
    """PatchGAN critic (no normalisation, for WGAN-GP) with an auxiliary attribute classifier head."""

    def __init__(self, image_size: int = 128, c_dim: int = len(ATTRIBUTES), conv_dim: int = 64, repeat_num: int = 6,
                 max_dim: int = 2048):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(3, conv_dim, 4, 2, 1), nn.LeakyReLU(0.01)]
        ch = conv_dim
        for _ in range(1, repeat_num):
            nxt = min(ch * 2, max_dim)
            layers += [nn.Conv2d(ch, nxt, 4, 2, 1), nn.LeakyReLU(0.01)]
            ch = nxt
        self.body = nn.Sequential(*layers)
        kernel = image_size // 2**repeat_num
        self.src = nn.Conv2d(ch, 1, 3, 1, 1, bias=False)
        self.cls = nn.Conv2d(ch, c_dim, kernel, 1, 0, bias=False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(x)
        return self.src(h), self.cls(h).flatten(1)


def build(cfg: dict) -> tuple[nn.Module, Discriminator]:
    """Both networks from a model config dict (the `model:` part of a training config / config.json).
    `head: bilateral` gives the bilateral-grid generator (genstudio.stargan.bilateral), else the pixel one."""
    c_dim = len(cfg.get("attributes", ATTRIBUTES))
    g: nn.Module
    if cfg.get("head", "pixel") == "bilateral":
        from .bilateral import BilateralGenerator

        g = BilateralGenerator(c_dim, cfg.get("g_conv_dim", 64), cfg.get("g_repeat_num", 6), cfg.get("luma_bins", 8),
                               cfg.get("shape_channels", 0))
    else:
        g = Generator(c_dim, cfg.get("g_conv_dim", 64), cfg.get("g_repeat_num", 6), cfg.get("residual", True),
                      cfg.get("g_edge_kernel", 7))
    d = Discriminator(cfg.get("image_size", 128), c_dim, cfg.get("d_conv_dim", 64), cfg.get("d_repeat_num", 6),
                      cfg.get("d_max_dim", 2048))
    return g, d
