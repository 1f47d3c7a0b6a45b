"""Lipstick in a learned lip region, in the shade the user picks.

The model decides *where*, the user decides *which colour*. Where: the trained StarGAN's "add makeup" edit
(G(x, makeup on) - G(x, makeup off), whatever the face wears now) reddens the lips most of all, the cheeks and
eyelids less; the largest rise of CIE a* (redness) inside the mouth area of the aligned face, kept as one
connected blob, is the lip region at the model's resolution (48 px). At the crop's own resolution it is
sharpened by colour: inside that blob, grown a little, the pixels redder than the skin around the mouth are
the lips (teeth, the dark gap of an open mouth and a beard are not). Which colour: the lips' a*/b* move towards
the shade's (by the strength), their mean lightness moves to the shade's as a shift, so their own texture
(highlights, creases) stays. The change is pasted back like every other edit (feathered, nothing else moves).
The parts eye shadow and blush share with it (region, painting, shades) are in genstudio.faces.cosmetics.
"""

from __future__ import annotations

import cv2
import numpy as np

from .cosmetics import Ellipse, Product, Shade, grow, parse_shade, redder, upsampled
from .recolor import to_lab

__all__ = ["LIPSTICK", "lip_mask", "lip_region", "lipstick_change", "mouth_prior", "parse_shade"]

# The mouth area of a CelebA-aligned crop (fractions of the side): the lips of held-out CelebA faces and of the
# astronaut lie at y 0.74-0.84 (eyes at 0.517, 0.219 apart); the ellipse leaves room for alignment error.
MOUTH = Ellipse((0.5, 0.79), (0.17, 0.10))
# At strength 1, checked by eye on the astronaut against the swatches: with the lightness kept (0) or moved half
# way, a deep red read coral and a berry read pink; moved all the way, each shade reads as itself.
OPACITY = 0.9  # how far a*/b* move to the shade's (1: flat paint; below 1 some of the lips' own colour shows)
LIGHTNESS = 1.0  # how far the lips' mean lightness moves to the shade's (their texture around the mean stays)


class Lipstick(Product):
    """Lipstick: the region is the largest rise of redness in the mouth area, one blob; painted nearly opaque in
    the pixels of that region that are redder than the skin around the mouth (lip_mask)."""

    def mask(self, crop: np.ndarray, region: np.ndarray) -> np.ndarray:
        return lip_mask(crop, region)


LIPSTICK = Lipstick("lipstick", (MOUTH,), redder, opacity=OPACITY, lightness=LIGHTNESS)


def mouth_prior(side: int) -> np.ndarray:
    """Soft ellipse [side, side] in 0..1 over the mouth area of an aligned crop (0 outside)."""
    return MOUTH.mask(side)


def lip_region(crop: np.ndarray, makeup_change: np.ndarray) -> np.ndarray:
    """The learned lip region [s, s] in 0..1, at the size of `crop` (uint8 RGB, aligned; usually the model's
    48 px input) from `makeup_change` (float [s, s, 3], 0..255 units: the generator's makeup-on minus makeup-off
    output for that crop). All zero when the model marks no lips in the mouth area."""
    return LIPSTICK.region(crop, makeup_change)


def lip_mask(crop: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The lips [S, S] in 0..1 on an aligned crop at its own resolution (uint8 RGB, any size S), given the
    learned region (any size, lip_region): the region upsampled and grown, times "redder than the skin around
    the mouth" (teeth, the dark of an open mouth, stubble drop out). Where colour cannot tell lips from skin
    (pale lips, odd light), the learned region alone."""
    side = crop.shape[0]
    up = upsampled(region, side)
    if up.max() <= 0:
        return np.zeros((side, side), np.float32)
    grown = grow(up) * (mouth_prior(side) > 0)
    lab = to_lab(crop)
    # lips are redder and less yellow than skin: a* less part of b* (8-bit Lab); split at Otsu's threshold inside
    # the grown region, and at least a little above the skin around the mouth
    lipness = lab[..., 1] - 0.4 * lab[..., 2]
    inside = grown > 0.3
    around = (mouth_prior(side) > 0) & (grown < 0.05)  # skin of the mouth area, off the lips
    if around.sum() < 16:
        around = mouth_prior(side) > 0
    skin = float(np.median(lipness[around]))
    split = max(otsu(lipness[inside]), skin + 2.0) if inside.sum() >= 16 else skin + 2.0
    mask = grown * np.clip((lipness - split) / 3.0 + 0.5, 0, 1)
    if mask.sum() < 0.25 * up.sum():  # colour does not separate them here: trust the model's region
        mask = up
    mask = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), max(0.6, side / 256))
    return np.clip(mask, 0, 1)


def otsu(values: np.ndarray, bins: int = 64) -> float:
    """The threshold splitting `values` into two classes with the largest between-class variance."""
    hist, edges = np.histogram(values, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    s0 = np.cumsum(hist * centres)
    m0 = s0 / np.maximum(w0, 1)
    m1 = (s0[-1] - s0) / np.maximum(w1, 1)
    between = w0 * w1 * (m0 - m1) ** 2
    return float(edges[int(np.argmax(between[:-1])) + 1])


def lipstick_change(crop: np.ndarray, mask: np.ndarray, shade: Shade, strength: float = 1.0) -> np.ndarray:
    """The RGB change (float, 0..255 units) that paints the masked lips of `crop` (uint8 RGB) in `shade`, at
    OPACITY and LIGHTNESS (genstudio.faces.cosmetics.paint)."""
    return LIPSTICK.change(crop, mask, shade, strength)
