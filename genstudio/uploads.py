"""Checking uploaded images before they reach a service (used by the platform and by Service.prepare).

The platform calls `open_upload` on every uploaded file before Service.prepare runs, so a service's
prepare() always receives bytes that are a decodable image of sane size; it can call open_upload again to
get the PIL image.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

from .services.base import InputError

ALLOWED_FORMATS = {"PNG", "JPEG", "WEBP", "BMP", "GIF"}


def open_upload(data: bytes, max_pixels: int = 40_000_000) -> Image.Image:
    """Decode uploaded bytes into an RGB image or raise InputError (415 not an image, 413 too big, 422 broken)."""
    if not data:
        raise InputError("the uploaded file is empty", status=422)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            fmt = im.format
            if fmt not in ALLOWED_FORMATS:
                raise InputError("unsupported image format %(format)s; upload a PNG, JPEG or WebP", status=415,
                                 format=fmt)
            if im.width * im.height > max_pixels:
                raise InputError("the image is too large (%(width)s×%(height)s pixels)", status=413,
                                 width=im.width, height=im.height)
            im.load()
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError("the image has too many pixels", status=413) from None
    except UnidentifiedImageError:
        raise InputError("the uploaded file is not an image (PNG, JPEG or WebP expected)", status=415) from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise InputError("the image could not be read: %(reason)s", status=422, reason=exc) from None
    return im.convert("RGB")
