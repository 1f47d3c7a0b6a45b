"""The bilateral-grid StarGAN head: identity at initialisation, an edit sliced at any resolution, and a change
that follows the photo's structure (flat regions get a flat change: nothing to smear)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from genstudio.stargan.bilateral import BilateralGenerator, apply_affine, luma, slice_grid


def test_starts_as_the_identity_at_any_size():
    g = BilateralGenerator(c_dim=7, conv_dim=8, repeat_num=1)
    x = torch.rand(2, 3, 48, 48) * 2 - 1
    c = torch.randint(0, 2, (2, 7)).float()
    assert torch.allclose(g(x, c), x, atol=1e-6)
    full = torch.rand(2, 3, 96, 96) * 2 - 1
    assert torch.allclose(g.edit(x, c, full), full, atol=1e-6)


def test_slicing_reads_the_grid_by_position_and_brightness():
    grid = torch.zeros(1, 12, 2, 1, 1)
    grid[0, 9, 1] = 0.5  # red offset +0.5 for bright pixels only (luma bin 1), none for dark ones (bin 0)
    img = torch.full((1, 3, 2, 2), -1.0)
    img[:, :, 0, 0] = 1.0  # one white pixel, three black
    out = apply_affine(slice_grid(grid, luma(img)), img)
    assert torch.isclose(out[0, 0, 0, 0], torch.tensor(1.5)) and torch.allclose(out[0, 0, 1, 1], torch.tensor(-1.0))


def test_a_flat_region_gets_a_flat_change():
    """Whatever the (random) grid, a region of one colour gets a change interpolated between grid cells 4 px
    apart: its pixel-to-pixel variation is a fraction of its size (an independent per-pixel change, what a
    pixel generator can paint, varies by more than its own size: ~1.1×)."""
    torch.manual_seed(0)
    g = BilateralGenerator(c_dim=7, conv_dim=8, repeat_num=1)
    torch.nn.init.normal_(g.coeffs.weight, std=0.05)
    x = torch.zeros(1, 3, 64, 64)
    x[:, 0] = 0.3  # one flat colour
    change = g(x, torch.ones(1, 7)) - x
    tv = (change[..., 1:, :] - change[..., :-1, :]).abs().mean() + (change[..., 1:] - change[..., :-1]).abs().mean()
    assert change.abs().mean() > 1e-3 and tv < 0.5 * change.abs().mean()
    # and slicing at 4x the size gives the same edit, only smoother (no upsampling of pixels)
    big = F.interpolate(x, scale_factor=4)
    pooled = F.avg_pool2d(g.edit(x, torch.ones(1, 7), big), 4)
    assert (pooled - g(x, torch.ones(1, 7))).abs().mean() < 0.15 * change.abs().mean()
