"""The calibration ladder: known degradations of real images, so a yardstick number can be read.

Every transform takes and returns uint8 images [N, H, W, 3]; `ladder` names the rows every yardstick
prints beside a model's score (a number means something only against these rows).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def _per_image(images: np.ndarray, fn: Callable[[Image.Image], Image.Image]) -> np.ndarray:
    return np.stack([np.asarray(fn(Image.fromarray(a)).convert("RGB")) for a in images])


def blur(images: np.ndarray, radius: float) -> np.ndarray:
    """Gaussian blur with the given radius in pixels."""
    return _per_image(images, lambda im: im.filter(ImageFilter.GaussianBlur(radius)))


def down_up(images: np.ndarray, size: int) -> np.ndarray:
    """Down-sample to size x size (area filter) and back up (bicubic): all detail finer than `size` lost."""
    full = images.shape[1]
    return _per_image(images, lambda im: im.resize((size, size), Image.Resampling.BOX)
                      .resize((full, full), Image.Resampling.BICUBIC))


def colour_blobs(n: int, size: int, seed: int = 0, background: tuple[int, int, int] = (255, 255, 255),
                 soft: bool = True) -> np.ndarray:
    """Random coloured ellipses (one to three) on a plain background: what a model that learnt only the
    palette and the white background draws."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        im = Image.new("RGB", (size, size), background)
        draw = ImageDraw.Draw(im)
        for _ in range(rng.integers(1, 4)):
            cx, cy = rng.uniform(0.3, 0.7, 2) * size
            rx, ry = rng.uniform(0.12, 0.35, 2) * size
            colour = tuple(int(c) for c in rng.integers(0, 256, 3))
            draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=colour)
        if soft:
            im = im.filter(ImageFilter.GaussianBlur(size / 32))
        out.append(np.asarray(im))
    return np.stack(out)


def noise(n: int, size: int, seed: int = 0) -> np.ndarray:
    """Uniform RGB noise."""
    return np.random.default_rng(seed).integers(0, 256, (n, size, size, 3), dtype=np.uint8)


def ladder(held_out: np.ndarray, other_real: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """The rows, in the order a sound yardstick ranks them (best first, roughly): `other_real` is real
    data from elsewhere (e.g. training classes), `held_out` the images the degradations start from."""
    n, size = len(held_out), held_out.shape[1]
    return {
        "real (other images)": other_real,
        "real, blur r=1": blur(held_out, 1),
        "real, 32 px and back": down_up(held_out, 32) if size > 32 else down_up(held_out, size // 2),
        "real, blur r=2": blur(held_out, 2),
        "colour blobs on white": colour_blobs(n, size, seed),
        "noise": noise(n, size, seed),
    }
