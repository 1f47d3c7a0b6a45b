"""Cheap, offline quality proxies for generated Pokémon (no Inception weights here, so no FID)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from ..imaging import from_pil


def as_vectors(images: Sequence[Image.Image] | np.ndarray, size: int = 32) -> np.ndarray:
    """Images (PIL or uint8 [N, H, W, 3]) -> float32 [N, size*size*3] in [0, 1]."""
    if isinstance(images, np.ndarray):
        images = [Image.fromarray(a) for a in images]
    return ((from_pil(images, size).numpy() + 1) / 2).reshape(len(images), -1).astype(np.float32)


def nearest(samples: np.ndarray, train: np.ndarray, exclude_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(index, RMS distance) of each sample's nearest training vector (pixel L2 in [0, 1] units)."""
    d2 = (samples ** 2).sum(1)[:, None] - 2 * samples @ train.T + (train ** 2).sum(1)[None, :]
    if exclude_self:
        d2[d2 < 1e-8] = np.inf
    idx = d2.argmin(1)
    return idx, np.sqrt(np.maximum(d2[np.arange(len(samples)), idx], 0) / samples.shape[1])


def white_border(images: Sequence[Image.Image], width: int = 3, threshold: float = 0.9) -> float:
    """Fraction of near-white pixels in a frame `width` pixels wide (training art: ~1.0)."""
    arr = np.stack([np.asarray(im.convert("RGB"), dtype=np.float32) / 255 for im in images])
    n = len(arr)
    frame = np.concatenate([arr[:, :width].reshape(n, -1, 3), arr[:, -width:].reshape(n, -1, 3),
                            arr[:, :, :width].reshape(n, -1, 3), arr[:, :, -width:].reshape(n, -1, 3)], 1)
    return float((frame.min(-1) > threshold).mean())
