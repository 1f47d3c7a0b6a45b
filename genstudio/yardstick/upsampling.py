"""A 2× up-sampler measured where the truth is known: real images area-down-sampled to half size and enlarged
back, each way of enlarging compared with the real full-size image.

Generated images have no full-size truth, so this is the one place PSNR and SSIM can be computed at all; the
edge-sharpness ratio says what those two hide (both reward a safe blur over an edge drawn one pixel off).
Everything works on 8-bit images, as the service's PNGs are, so the numbers are those of what a user gets and
the same on every run.

    rows = measure_2x(real128, {"Lanczos 2×": per_image(display), "learned 2×": network(upsampler)})
    print(format_table(rows, highlight="learned 2×"))
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from ..imaging import map_uint8

Upscale = Callable[[np.ndarray], np.ndarray]
"""uint8 images [N, h, w, 3] -> uint8 [N, 2h, 2w, 3]: one way of enlarging, as the table compares them."""

REFERENCE = "real (itself)"  # the ceiling row: the real images against themselves
LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601: edges as the eye weighs them, not per channel


def area_half(images: np.ndarray) -> np.ndarray:
    """uint8 [N, H, W, 3] -> [N, H/2, W/2, 3] by 2×2 means (area down-sampling, as up-samplers train on),
    rounded to 8 bits like any image an up-sampler is given."""
    return map_uint8(lambda x: F.avg_pool2d(x, 2), images)


def per_image(resize: Callable[[Image.Image], Image.Image]) -> Upscale:
    """An Upscale from a PIL function (e.g. the Pokémon page's Lanczos `display`), applied image by image."""
    return lambda small: np.stack([np.asarray(resize(Image.fromarray(a)).convert("RGB")) for a in small])


def network(fn: Callable[[torch.Tensor], torch.Tensor], batch: int = 32) -> Upscale:
    """An Upscale from a [-1, 1] tensor function (a learned up-sampler, bicubic2x), in fixed batches: the
    batch size is fixed so the float sums, and the rounded pixels, are the same every run."""
    return lambda small: map_uint8(fn, small, batch)


def psnr(result: np.ndarray, real: np.ndarray) -> float:
    """PSNR in dB of the pooled squared error over all images (as the up-sampler's training validation does);
    inf when they are identical."""
    mse = float(np.mean((result.astype(np.float64) - real.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)


def ssim(result: np.ndarray, real: np.ndarray) -> float:
    """Mean SSIM per image (scikit-image's default 7×7 window, over the colour channels)."""
    from skimage.metrics import structural_similarity

    return float(np.mean([structural_similarity(a, b, channel_axis=-1, data_range=255)
                          for a, b in zip(result, real, strict=True)]))


def edge_strength(images: np.ndarray) -> float:
    """Mean gradient magnitude of the luminance (central differences), over all pixels of all images."""
    luma = images.astype(np.float64) @ LUMA
    gy, gx = np.gradient(luma, axis=(1, 2))
    return float(np.hypot(gx, gy).mean())


def quality(result: np.ndarray, real: np.ndarray) -> dict[str, float]:
    """PSNR and SSIM against the real images, and the edge-sharpness ratio: the result's mean gradient magnitude
    over the real images' (1.0 = as sharp as the real ones, blur < 1, over-sharpening and halos > 1)."""
    if result.shape != real.shape:
        raise ValueError(f"result {result.shape} and real {real.shape} differ in shape")
    return {"psnr": psnr(result, real), "ssim": ssim(result, real),
            "sharpness": edge_strength(result) / edge_strength(real)}


def measure_2x(real: np.ndarray, methods: dict[str, Upscale], reference: str = REFERENCE
               ) -> dict[str, dict[str, float]]:
    """The real images against themselves (the row `reference`, the ceiling), then each method's 2× of their
    area down-sampling, measured against them (quality)."""
    small = area_half(real)
    rows = {reference: quality(real, real)}
    for label, upscale in methods.items():
        rows[label] = quality(upscale(small), real)
    return rows


def format_table(rows: dict[str, dict[str, float]], highlight: str = "") -> str:
    """The rows as markdown: PSNR (∞ for identical images), SSIM, sharpness; `highlight` in bold."""
    lines = ["| 64 → 128 px | PSNR (dB) ↑ | SSIM ↑ | edge sharpness (real = 1) |", "|---|---|---|---|"]
    for label, r in rows.items():
        name = f"**{label}**" if label == highlight else label
        db = "∞" if math.isinf(r["psnr"]) else f"{r['psnr']:.2f}"
        lines.append(f"| {name} | {db} | {r['ssim']:.4f} | {r['sharpness']:.3f} |")
    return "\n".join(lines)


def jsonable(rows: dict[str, dict[str, float]]) -> dict[str, dict[str, Any]]:
    """The rows with an infinite PSNR (identical images) as null, which JSON can hold."""
    return {label: {k: None if math.isinf(v) else v for k, v in r.items()} for label, r in rows.items()}
