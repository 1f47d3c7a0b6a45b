"""The Pokémon up-sampler's yardstick (genstudio/yardstick/upsampling.py), on outlined shapes drawn here (no
dataset image) and a tiny random up-sampler."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch.nn.functional as F
from PIL import Image, ImageDraw

from genstudio.services.pokemon.pipeline import display
from genstudio.services.resolution import Upsampling
from genstudio.upsampler.networks import bicubic2x
from genstudio.yardstick.upsampling import (
    REFERENCE,
    area_half,
    format_table,
    jsonable,
    measure_2x,
    network,
    per_image,
    quality,
)

from ..person.conftest import tiny_upsampler

REPO = Path(__file__).resolve().parents[2]


def drawings(n: int = 4, size: int = 128, seed: int = 0) -> np.ndarray:
    """Art-like images: coloured shapes with dark outlines on white, uint8 [n, size, size, 3]."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        im = Image.new("RGB", (size, size), "white")
        draw = ImageDraw.Draw(im)
        for _ in range(5):
            x, y = rng.integers(8, size - 40, 2)
            w, h = rng.integers(16, 36, 2)
            fill = tuple(int(c) for c in rng.integers(40, 240, 3))
            draw.ellipse((int(x), int(y), int(x + w), int(y + h)), fill=fill, outline=(20, 20, 30), width=2)
        out.append(np.asarray(im))
    return np.stack(out)


def blurred(fn):
    """fn followed by a 3×3 box blur: the same enlargement, softer."""
    return lambda x: F.avg_pool2d(F.pad(fn(x), (1, 1, 1, 1), mode="replicate"), 3, 1)


def test_the_real_images_are_the_ceiling_and_blur_loses_sharpness_and_psnr():
    real = drawings()
    methods = {"bicubic": network(bicubic2x), "bicubic, blurred": network(blurred(bicubic2x)),
               "Lanczos": per_image(display)}
    rows = measure_2x(real, methods)
    assert list(rows) == [REFERENCE, *methods]
    ceiling = rows[REFERENCE]
    assert math.isinf(ceiling["psnr"]) and ceiling["ssim"] == pytest.approx(1.0) and ceiling["sharpness"] == 1.0
    sharp, soft = rows["bicubic"], rows["bicubic, blurred"]
    assert soft["sharpness"] < sharp["sharpness"] < 1.0  # enlarging from half size blurs; the box blur more
    assert soft["psnr"] < sharp["psnr"] < 60 and soft["ssim"] < sharp["ssim"] < 1.0
    assert rows["Lanczos"]["sharpness"] < 1.0

    crisp = quality(np.clip(real.astype(int) * 2 - 128, 0, 255).astype(np.uint8), real)  # more contrast
    assert crisp["sharpness"] > 1.0  # the ratio is not capped at the real images' sharpness

    assert measure_2x(real, methods) == rows  # deterministic
    table = format_table(rows, highlight="bicubic")
    assert f"| {REFERENCE} | ∞ | 1.0000 | 1.000 |" in table and "| **bicubic** |" in table
    assert jsonable(rows)[REFERENCE]["psnr"] is None and json.dumps(jsonable(rows))


def test_the_learned_row_measures_what_the_page_shows():
    real = drawings(2)
    small = area_half(real)
    assert small.shape == (2, 64, 64, 3) and small.dtype == np.uint8
    up = tiny_upsampler()
    page = Upsampling("pokemon-upsampler", up).images([Image.fromarray(a) for a in small])
    assert np.array_equal(network(up)(small), np.stack([np.asarray(im) for im in page]))
    assert np.array_equal(per_image(display)(small), np.stack([np.asarray(display(Image.fromarray(a)))
                                                               for a in small]))
    with pytest.raises(ValueError, match="shape"):
        quality(small, real)

