"""Tensor <-> PIL conversion and image grids, shared by every family, the benches and the cards."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image


def to_pil(batch: torch.Tensor) -> list[Image.Image]:
    """[-1, 1] float tensor [N, 3, H, W] -> list of RGB PIL images."""
    arr = ((batch.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return [Image.fromarray(a.permute(1, 2, 0).cpu().numpy()) for a in arr]


def from_pil(images: Sequence[Image.Image], size: int | None = None) -> torch.Tensor:
    """RGB PIL images -> [-1, 1] float tensor [N, 3, H, W] (resized to size x size if given)."""
    arrays = []
    for im in images:
        im = im.convert("RGB")
        if size is not None and im.size != (size, size):
            im = im.resize((size, size), Image.Resampling.BICUBIC)
        arrays.append(np.asarray(im))
    return uint8_to_tensor(np.stack(arrays))


def uint8_to_tensor(arr: np.ndarray) -> torch.Tensor:
    """uint8 [N, H, W, 3] -> [-1, 1] float [N, 3, H, W]."""
    return torch.from_numpy(arr).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def grid(
    images: Sequence[Image.Image], columns: int | None = None, pad: int = 2, background: str = "white"
) -> Image.Image:
    """Tile images (all the same size) into one picture."""
    if not images:
        raise ValueError("no images to tile")
    columns = columns or int(np.ceil(np.sqrt(len(images))))
    rows = int(np.ceil(len(images) / columns))
    w, h = images[0].size
    sheet = Image.new("RGB", (columns * (w + pad) + pad, rows * (h + pad) + pad), background)
    for i, im in enumerate(images):
        sheet.paste(im, (pad + (i % columns) * (w + pad), pad + (i // columns) * (h + pad)))
    return sheet
