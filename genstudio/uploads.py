"""Checking and decoding uploaded images before they reach a service (used by the platform and by Service.prepare).

The platform decodes the file fields a service declares (Service.upload_fields) once, with `decode_uploads`,
and hands Service.prepare `Upload`s: the bytes and the decoded RGB image. The pixel limit is MAX_UPLOAD_PIXELS
(the MAX_UPLOAD_PIXELS setting defaults to it), checked from the file's header before any pixel is decoded,
and decoding in this process shares one pixel budget, so that concurrent big uploads wait their turn instead
of multiplying the server's memory.
"""

from __future__ import annotations

import io
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from .errors import InputError

ALLOWED_FORMATS = {"PNG", "JPEG", "WEBP", "BMP", "GIF"}
MAX_UPLOAD_PIXELS = 40_000_000  # the largest image accepted (HTTP 413 above), the default of the setting
DECODE_WAIT_SECONDS = 30.0  # an upload waits this long for room in the pixel budget, then gets 503


@dataclass(frozen=True)
class Upload:
    """One uploaded file, checked and decoded once: its bytes (for metadata such as EXIF) and its RGB image."""

    data: bytes
    image: Image.Image


class PixelBudget:
    """How many pixels may be decoded at once: a 40 MP photo is ~160 MB once decoded, so concurrent uploads
    wait for room instead of adding up. An upload bigger than the whole budget is decoded alone."""

    def __init__(self, pixels: int) -> None:
        self.pixels = int(pixels)
        self._used = 0
        self._changed = threading.Condition()

    def acquire(self, pixels: int, timeout: float) -> None:
        """Take `pixels` of the budget; TimeoutError if no room came within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._used and self._used + pixels > self.pixels:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no room in the pixel budget")
                self._changed.wait(left)
            self._used += pixels

    def release(self, pixels: int) -> None:
        with self._changed:
            self._used -= pixels
            self._changed.notify_all()

    @contextmanager
    def hold(self, pixels: int, timeout: float) -> Iterator[None]:
        self.acquire(pixels, timeout)
        try:
            yield
        finally:
            self.release(pixels)


DECODING = PixelBudget(2 * MAX_UPLOAD_PIXELS)  # per process: what the decoded uploads in flight may hold
# Pillow allocates images in blocks (16 MB by default), which glibc serves from per-thread heaps and keeps after
# they are freed: every request thread that once decoded a big photo would hold on to its memory. Blocks larger
# than glibc's biggest mmap threshold (32 MB) are mapped on their own and given back as soon as they are freed.
Image.core.set_block_size(64 * 1024 * 1024)


def _open_checked(data: bytes, max_pixels: int, min_side: int) -> Image.Image:
    """Open (header only) and check format and size; nothing is decoded yet."""
    if not data:
        raise InputError("the uploaded file is empty", status=422)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError("the image has too many pixels", status=413) from None
    except UnidentifiedImageError:
        raise InputError("the uploaded file is not an image (PNG, JPEG or WebP expected)", status=415) from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise InputError("the image could not be read: %(reason)s", status=422, reason=exc) from None
    if im.format not in ALLOWED_FORMATS:
        raise InputError("unsupported image format %(format)s; upload a PNG, JPEG or WebP", status=415,
                         format=im.format)
    if im.width * im.height > max_pixels:
        raise InputError("the image is too large (%(width)s×%(height)s pixels)", status=413, width=im.width,
                         height=im.height)
    if min(im.width, im.height) < min_side:
        raise InputError("the image is too small (%(width)s×%(height)s pixels; at least %(side)s on each side)",
                         status=422, width=im.width, height=im.height, side=min_side)
    return im


def _decode(im: Image.Image) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im.load()
            return im if im.mode == "RGB" else im.convert("RGB")  # no second copy of an RGB photo
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError("the image has too many pixels", status=413) from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise InputError("the image could not be read: %(reason)s", status=422, reason=exc) from None


def open_upload(data: bytes, max_pixels: int = MAX_UPLOAD_PIXELS, min_side: int = 1) -> Image.Image:
    """Decode uploaded bytes into an RGB image or raise InputError (415 not an image, 413 too big, 422 broken)."""
    with decode_uploads({"image": data}, max_pixels, min_side) as uploads:
        return uploads["image"].image


@contextmanager
def decode_uploads(files: Mapping[str, bytes], max_pixels: int = MAX_UPLOAD_PIXELS, min_side: int = 1,
                   budget: PixelBudget = DECODING) -> Iterator[dict[str, Upload]]:
    """Check every file from its header, then decode them all within the pixel budget, which stays held while
    the block uses them (a service's prepare). InputError as open_upload; 503 when the budget stays full."""
    opened = {name: _open_checked(data, max_pixels, min_side) for name, data in files.items()}
    pixels = sum(im.width * im.height for im in opened.values())
    if pixels > max_pixels:
        raise InputError("the images are too large together (%(pixels)s pixels)", status=413, pixels=pixels)
    try:
        budget.acquire(pixels, DECODE_WAIT_SECONDS)
    except TimeoutError:
        raise InputError("the server is busy decoding other uploads; try again shortly", status=503) from None
    try:
        yield {name: Upload(files[name], _decode(im)) for name, im in opened.items()}
    finally:
        budget.release(pixels)
