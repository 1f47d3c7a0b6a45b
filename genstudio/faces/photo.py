"""Uploaded photo -> upright RGB array of a bounded size.

Validation and decoding (format, decompression bombs, truncated files, the pixel limit) is genstudio.uploads,
shared with the platform, which hands services an already decoded Upload; here the EXIF orientation is applied
(phones store portraits sideways) and photos whose longer side exceeds MAX_WORK_SIDE are downscaled to it, so
that every later step has bounded cost.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..uploads import Upload, open_upload

MAX_WORK_SIDE = 4096  # longer side kept at most this (larger photos are downscaled, and the page says so)

_TRANSPOSE = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,), 3: (Image.Transpose.ROTATE_180,), 4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,), 6: (Image.Transpose.ROTATE_270,), 7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


@dataclass
class Photo:
    image: Image.Image  # RGB, upright, at most MAX_WORK_SIDE on its longer side
    original_size: tuple[int, int]  # as stored in the file, before orientation
    orientation: int  # EXIF orientation tag applied (1: none)
    downscaled: bool

    @property
    def array(self) -> np.ndarray:
        return np.asarray(self.image)


def exif_orientation(data: bytes) -> int:
    """The EXIF orientation tag (1..8) of an encoded image, 1 when absent or unreadable."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            value = int(im.getexif().get(0x0112, 1))
    except Exception:  # a broken EXIF block must not make a good photo unusable
        return 1
    return value if 1 <= value <= 8 else 1


def load_photo(upload: Upload | bytes, max_side: int = MAX_WORK_SIDE) -> Photo:
    """Orient and bound an upload (bytes are decoded first: InputError 415 / 413 / 422 for unusable files)."""
    im = upload.image if isinstance(upload, Upload) else open_upload(upload)
    data = upload.data if isinstance(upload, Upload) else upload
    original = im.size
    orientation = exif_orientation(data)
    for op in _TRANSPOSE.get(orientation, ()):
        im = im.transpose(op)
    downscaled = max(im.size) > max_side
    if downscaled:
        scale = max_side / max(im.size)
        im = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), Image.Resampling.LANCZOS)
    return Photo(im, original, orientation, downscaled)
