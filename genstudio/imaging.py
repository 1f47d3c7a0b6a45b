"""Tensor <-> PIL conversion and image grids, shared by every family, the benches and the cards."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from PIL import Image


def tensor_to_uint8(batch: torch.Tensor) -> np.ndarray:
    """[-1, 1] float tensor [N, 3, H, W] -> uint8 [N, H, W, 3], rounded as the service's PNGs are."""
    arr = ((batch.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return arr.permute(0, 2, 3, 1).cpu().numpy()


@torch.no_grad()
def map_uint8(fn: Callable[[torch.Tensor], torch.Tensor], images: np.ndarray, batch: int = 64) -> np.ndarray:
    """uint8 images [N, H, W, 3] through a [-1, 1] tensor function (a network, a resampling), in batches."""
    return np.concatenate([tensor_to_uint8(fn(uint8_to_tensor(images[i:i + batch])))
                           for i in range(0, len(images), batch)])


def to_pil(batch: torch.Tensor) -> list[Image.Image]:
    """[-1, 1] float tensor [N, 3, H, W] -> list of RGB PIL images."""
    return [Image.fromarray(a) for a in tensor_to_uint8(batch)]


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
