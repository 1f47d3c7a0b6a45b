"""Pre-resized, in-memory image caches, kept on disk between runs so that training starts in seconds."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image


def cache_dir() -> Path:
    return Path(os.environ.get("GENSTUDIO_CACHE") or Path.home() / ".cache" / "genstudio")


def load_resized(
    files: Sequence[Path], size: int, tag: str, prepare: Callable[[Image.Image], Image.Image] | None = None
) -> np.ndarray:
    """uint8 array [N, size, size, 3] of the files resized (area filter); cached by file list and size."""
    key = hashlib.sha1(("\n".join(map(str, files)) + f"|{size}|{tag}").encode()).hexdigest()[:16]
    path = cache_dir() / f"{tag}-{size}-{key}.npy"
    if path.is_file():
        return np.load(path)
    out = np.empty((len(files), size, size, 3), dtype=np.uint8)
    for i, file in enumerate(files):
        with Image.open(file) as im:
            im = im.convert("RGB")
            if prepare is not None:
                im = prepare(im)
            resample = Image.Resampling.BOX if im.width >= size else Image.Resampling.BICUBIC
            out[i] = np.asarray(im.resize((size, size), resample))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, out)
    os.replace(tmp, path)
    return out
