"""FastGAN-style networks (Liu et al. 2021), sized for a CPU, conditioned on the Pokémon type.

Generator: a type embedding joins z; up-sampling blocks with GLU and noise injection; skip-layer
excitation (4→32 and 8→64 px) lets coarse layout gate fine channels. Discriminator: strided residual
down blocks with spectral norm, a projection head for the type (Miyato & Koyama 2018) and a small decoder
that must reconstruct the real image from the 8×8 features (FastGAN's self-supervised regulariser).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm

from ..data.pokemon import TYPES

NUM_TYPES = len(TYPES)


def _sn_conv(cin: int, cout: int, k: int, s: int = 1, p: int = 0) -> nn.Module:
    return spectral_norm(nn.Conv2d(cin, cout, k, s, p, bias=False))


class NoiseInjection(nn.Module):
    """Adds per-pixel noise scaled by a learnt weight (starts at 0: no effect until it helps)."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor, generators: Sequence[torch.Generator] | None = None) -> torch.Tensor:
        shape = (1, x.shape[2], x.shape[3])
        if generators is None:
            noise = torch.randn(x.shape[0], *shape, device=x.device, dtype=x.dtype)
        else:  # one generator per image: sampling is reproducible and independent of the batch
            noise = torch.stack([torch.randn(shape, generator=g) for g in generators]).to(x)
        return x + self.weight * noise


class UpBlock(nn.Module):
    """×2 nearest up-sampling, two 3×3 convs each followed by BN and GLU (halves the doubled channels)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout * 2, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout * 2)
        self.noise = NoiseInjection()
        self.conv2 = nn.Conv2d(cout, cout * 2, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout * 2)

    def forward(self, x: torch.Tensor, generators: Sequence[torch.Generator] | None = None) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        x = F.glu(self.bn1(self.conv1(x)), 1)
        x = self.noise(x, generators)
        return F.glu(self.bn2(self.conv2(x)), 1)


class SkipExcitation(nn.Module):
    """Channel gates for a fine feature map computed from a coarse one (FastGAN's SLE)."""

    def __init__(self, coarse: int, fine: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.AdaptiveAvgPool2d(4), nn.Conv2d(coarse, fine, 4, 1, 0, bias=False),
                                 nn.SiLU(), nn.Conv2d(fine, fine, 1, 1, 0, bias=False), nn.Sigmoid())

    def forward(self, coarse: torch.Tensor, fine: torch.Tensor) -> torch.Tensor:
        return fine * self.net(coarse)


def channels(width: int, resolution: int) -> dict[int, int]:
    """Channels per resolution: wide where layout forms, narrow at full resolution."""
    table = {4: 8 * width, 8: 8 * width, 16: 4 * width, 32: 2 * width, 64: width, 128: max(width // 2, 8)}
    return {r: c for r, c in table.items() if r <= resolution}


class Generator(nn.Module):
    """(z [N, z_dim], type index [N]) -> [-1, 1] RGB images [N, 3, R, R]; R in {64, 128}.

    `generators` (one torch.Generator per image) draws the injected noise reproducibly at sampling time.
    """

    def __init__(self, z_dim: int = 128, width: int = 32, resolution: int = 64, embed_dim: int = 32) -> None:
        super().__init__()
        self.z_dim, self.resolution = z_dim, resolution
        ch = channels(width, resolution)
        self.embed = nn.Embedding(NUM_TYPES, embed_dim)
        self.init = nn.Sequential(nn.Linear(z_dim + embed_dim, ch[4] * 2 * 16, bias=False))
        self.init_bn = nn.BatchNorm2d(ch[4] * 2)
        self.ups = nn.ModuleDict({str(r): UpBlock(ch[r // 2], ch[r]) for r in ch if r > 4})
        self.sle = nn.ModuleDict({"32": SkipExcitation(ch[4], ch[32]), "64": SkipExcitation(ch[8], ch[64])})
        if resolution >= 128:
            self.sle["128"] = SkipExcitation(ch[16], ch[128])
        self.to_rgb = nn.Conv2d(ch[resolution], 3, 3, 1, 1)

    def forward(self, z: torch.Tensor, types: torch.Tensor,
                generators: Sequence[torch.Generator] | None = None) -> torch.Tensor:
        h = self.init(torch.cat([z, self.embed(types)], 1)).view(z.shape[0], -1, 4, 4)
        feats = {4: F.glu(self.init_bn(h), 1)}
        r = 4
        while r < self.resolution:
            r *= 2
            x = self.ups[str(r)](feats[r // 2], generators)
            if str(r) in self.sle:
                x = self.sle[str(r)](feats[r // 8], x)
            feats[r] = x
        return torch.tanh(self.to_rgb(feats[self.resolution]))


class DownBlock(nn.Module):
    """Stride-2 residual block: 4×4 strided conv path + average-pooled 1×1 shortcut (FastGAN's DownBlockComp)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.main = nn.Sequential(_sn_conv(cin, cout, 4, 2, 1), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2, True),
                                  _sn_conv(cout, cout, 3, 1, 1), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2, True))
        self.skip = nn.Sequential(nn.AvgPool2d(2, 2), _sn_conv(cin, cout, 1), nn.BatchNorm2d(cout),
                                  nn.LeakyReLU(0.2, True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.main(x) + self.skip(x)) / 2


class Decoder(nn.Module):
    """8×8 discriminator features -> a 32 px image (the reconstruction target is the real image at 32 px)."""

    def __init__(self, cin: int, width: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = cin
        for cout in (2 * width, width):
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), _sn_conv(c, cout * 2, 3, 1, 1),
                       nn.BatchNorm2d(cout * 2), nn.GLU(1)]
            c = cout
        layers += [_sn_conv(c, 3, 3, 1, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Discriminator(nn.Module):
    """Images [N, 3, R, R] and type indices -> (hinge logits [N], 32 px reconstruction of the input)."""

    def __init__(self, width: int = 32, resolution: int = 64) -> None:
        super().__init__()
        ch = channels(width, resolution)
        self.stem = nn.Sequential(_sn_conv(3, ch[resolution], 3, 1, 1), nn.LeakyReLU(0.2, True))
        blocks = []
        r = resolution
        while r > 4:
            blocks.append((str(r // 2), DownBlock(ch[r], ch[r // 2])))
            r //= 2
        self.downs = nn.ModuleDict(blocks)
        self.out = spectral_norm(nn.Linear(ch[4], 1))
        self.project = spectral_norm(nn.Embedding(NUM_TYPES, ch[4]))
        self.decoder = Decoder(ch[8], width)

    def forward(self, x: torch.Tensor, types: torch.Tensor, reconstruct: bool = False
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
        h = self.stem(x)
        feat8 = None
        for r, block in self.downs.items():
            h = block(h)
            if r == "8":
                feat8 = h
        pooled = F.leaky_relu(h, 0.2).sum((2, 3))
        logits = self.out(pooled).squeeze(1) + (self.project(types) * pooled).sum(1)
        return logits, (self.decoder(feat8) if reconstruct else None)
