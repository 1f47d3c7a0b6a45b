"""A StarGAN generator whose edit cannot smear: it predicts a low-resolution *bilateral grid* of affine colour
transforms (HDRNet, Gharbi et al. 2017) instead of pixels.

For each cell of a (S/4 × S/4) spatial grid and each of `luma_bins` brightness levels it outputs a 3×4 affine
colour matrix; a pixel's transform is read from the grid by its position and its own brightness (trilinear
"slicing") and applied to its colour. The transform is smooth in space but follows edges in the photo (hair
against skin against background differ in brightness), and it can be sliced at *any* resolution with the
full-resolution photo as the guide, so the edit keeps the photo's sharpness and cannot paint blotches that
are not in the photo's own structure. Starts as the identity (zero-initialised last layer).

A colour transform cannot draw: a beard's shadow, a heavier brow or an eye-liner line are changes of *shape*,
which the grid can only hint at with a cast. `shape_channels` adds a second, optional output beside the grid: a
half-resolution (S/2) residual, one channel (brightness, the same on R, G and B: it can darken or lighten but
not tint) or three (colour, then priced by training's chroma term like the grid's edit), upsampled smoothly to
the photo's resolution and added. Its last layer is zero-initialised too, so weights trained without it load
unchanged (`genstudio.stargan.train.load_resized(..., fresh=SHAPE_PREFIX)`) and start exactly where they were.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .networks import ResidualBlock, _norm


def luma(x: torch.Tensor) -> torch.Tensor:
    """[-1, 1] RGB [N, 3, H, W] -> brightness in [0, 1], [N, H, W] (the slicing guide)."""
    return ((0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]) + 1) / 2


def slice_grid(grid: torch.Tensor, guide: torch.Tensor) -> torch.Tensor:
    """grid [N, 12, D, Gh, Gw], guide [N, H, W] in [0, 1] -> per-pixel coefficients [N, 12, H, W]."""
    n, _, h, w = guide.shape[0], None, guide.shape[1], guide.shape[2]
    ys = torch.linspace(-1, 1, h, device=guide.device, dtype=guide.dtype)
    xs = torch.linspace(-1, 1, w, device=guide.device, dtype=guide.dtype)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    coords = torch.stack([gx.expand(n, h, w), gy.expand(n, h, w), guide.clamp(0, 1) * 2 - 1], -1)
    out = F.grid_sample(grid, coords.unsqueeze(1), mode="bilinear", padding_mode="border", align_corners=True)
    return out[:, :, 0]


def apply_affine(coeffs: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """out = (I + A) x + b per pixel; coeffs [N, 12, H, W] hold A (3×3, row-major) then b (3)."""
    a = coeffs[:, :9].reshape(x.shape[0], 3, 3, *x.shape[2:])
    b = coeffs[:, 9:]
    return x + torch.einsum("nijhw,njhw->nihw", a, x) + b


SHAPE_PREFIX = "shape."  # parameters of the optional shape residual (absent from weights trained without it)


class BilateralGenerator(nn.Module):
    """(face [N, 3, S, S] in [-1, 1], target attributes [N, c_dim]) -> edited face, same size.

    `edit(x_small, c, full)` applies the grid predicted from the small crop to `full`, a larger crop of the
    same face (any size), with `full` itself as the guide; with `shape_channels` (1 or 3) it also adds the
    half-resolution shape residual, upsampled to `full`'s size.
    """

    def __init__(self, c_dim: int, conv_dim: int = 32, repeat_num: int = 3, luma_bins: int = 8,
                 shape_channels: int = 0):
        super().__init__()
        if shape_channels not in (0, 1, 3):
            raise ValueError(f"shape_channels must be 0 (none), 1 (brightness) or 3 (colour), not {shape_channels}")
        self.c_dim, self.luma_bins, self.shape_channels = c_dim, luma_bins, shape_channels
        layers: list[nn.Module] = [nn.Conv2d(3 + c_dim, conv_dim, 3, 1, 1, bias=False), _norm(conv_dim), nn.ReLU(True)]
        ch = conv_dim
        for _ in range(2):
            layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), _norm(ch * 2), nn.ReLU(True)]
            ch *= 2
        layers += [ResidualBlock(ch) for _ in range(repeat_num)]
        self.body = nn.Sequential(*layers)
        self.coeffs = nn.Conv2d(ch, 12 * luma_bins, 1)
        nn.init.zeros_(self.coeffs.weight)
        nn.init.zeros_(self.coeffs.bias)
        self.shape: nn.Sequential | None = None
        if shape_channels:  # one nearest up-sampling (S/4 -> S/2) and a conv, as the pixel generator does
            out = nn.Conv2d(ch // 2, shape_channels, 3, 1, 1)
            nn.init.zeros_(out.weight)
            nn.init.zeros_(out.bias)
            self.shape = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                                       nn.Conv2d(ch, ch // 2, 3, 1, 1, bias=False), _norm(ch // 2), nn.ReLU(True),
                                       out, nn.Tanh())

    def _features(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        c_map = c.view(c.size(0), c.size(1), 1, 1).expand(-1, -1, x.size(2), x.size(3)).to(x.dtype)
        return self.body(torch.cat([x, c_map], 1))

    def _grid(self, h: torch.Tensor) -> torch.Tensor:
        g = self.coeffs(h)
        return g.view(h.shape[0], 12, self.luma_bins, g.shape[2], g.shape[3])

    def grid(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return self._grid(self._features(x, c))

    def edit_with_grid(self, x: torch.Tensor, c: torch.Tensor, full: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The edited `full` and the grid behind it (training prices the grid's roughness)."""
        h = self._features(x, c)
        grid = self._grid(h)
        out = apply_affine(slice_grid(grid, luma(full)), full)
        if self.shape is not None:
            r = F.interpolate(self.shape(h), size=full.shape[2:], mode="bilinear", align_corners=False)
            out = out + r.expand(-1, 3, -1, -1)  # one channel: the same brightness change on R, G and B
        return out.clamp(-1, 1), grid

    def edit(self, x: torch.Tensor, c: torch.Tensor, full: torch.Tensor) -> torch.Tensor:
        return self.edit_with_grid(x, c, full)[0]

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return self.edit(x, c, x)


def grid_roughness(grid: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between spatially neighbouring cells of a grid [N, 12, D, Gh, Gw]: the price of
    a colour transform that changes from cell to cell. Low-resolution colour blotches (a green patch on one
    cheek, a pink one on the nose) are exactly such changes; hair, skin and lips still differ through the
    brightness axis, which is not penalised."""
    dy = (grid[..., 1:, :] - grid[..., :-1, :]).abs().mean()
    dx = (grid[..., :, 1:] - grid[..., :, :-1]).abs().mean()
    return dx + dy
