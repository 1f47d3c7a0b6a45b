"""Lipstick in a learned lip region, in the shade the user picks.

The model decides *where*, the user decides *which colour*. Where: the trained StarGAN's "add makeup" edit
(G(x, makeup on) - G(x, makeup off), whatever the face wears now) reddens the lips most of all, the cheeks and
eyelids less; the largest rise of CIE a* (redness) inside the mouth area of the aligned face, kept as one
connected blob, is the lip region at the model's resolution (48 px). At the crop's own resolution it is
sharpened by colour: inside that blob, grown a little, the pixels redder than the skin around the mouth are
the lips (teeth, the dark gap of an open mouth and a beard are not). Which colour: the lips' a*/b* move towards
the shade's (by the strength), their mean lightness moves to the shade's as a shift, so their own texture
(highlights, creases) stays. The change is pasted back like every other edit (feathered, nothing else moves).
"""

from __future__ import annotations

import re

import cv2
import numpy as np

from .recolor import from_lab, to_lab

# The mouth area of a CelebA-aligned crop (fractions of the side): the lips of held-out CelebA faces and of the
# astronaut lie at y 0.74-0.84 (eyes at 0.517, 0.219 apart); the ellipse leaves room for alignment error.
MOUTH_CENTER = (0.5, 0.79)
MOUTH_RADII = (0.17, 0.10)
REGION_FLOOR = 0.3  # of the peak redness rise: below this the model is not painting lips
MIN_RISE = 1.0  # a* units (8-bit Lab): a smaller peak means the model marks no lips at all
# At strength 1, checked by eye on the astronaut against the swatches: with the lightness kept (0) or moved half
# way, a deep red read coral and a berry read pink; moved all the way, each shade reads as itself.
OPACITY = 0.9  # how far a*/b* move to the shade's (1: flat paint; below 1 some of the lips' own colour shows)
LIGHTNESS = 1.0  # how far the lips' mean lightness moves to the shade's (their texture around the mean stays)
SHADE = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")


def parse_shade(value: str) -> tuple[int, int, int]:
    """'#rrggbb' or '#rgb' (the '#' optional, any case) -> (r, g, b); ValueError otherwise."""
    m = SHADE.fullmatch(value.strip()) if isinstance(value, str) else None
    if m is None:
        raise ValueError(f"not a colour: {value!r}")
    digits = m.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def mouth_prior(side: int) -> np.ndarray:
    """Soft ellipse [side, side] in 0..1 over the mouth area of an aligned crop (0 outside)."""
    yy, xx = (np.mgrid[0:side, 0:side].astype(np.float32) + 0.5) / side
    r = np.hypot((xx - MOUTH_CENTER[0]) / MOUTH_RADII[0], (yy - MOUTH_CENTER[1]) / MOUTH_RADII[1])
    return np.clip((1.0 - r) / 0.3, 0, 1)


def lip_region(crop: np.ndarray, makeup_change: np.ndarray) -> np.ndarray:
    """The learned lip region [s, s] in 0..1, at the size of `crop` (uint8 RGB, aligned; usually the model's
    48 px input) from `makeup_change` (float [s, s, 3], 0..255 units: the generator's makeup-on minus makeup-off
    output for that crop). All zero when the model marks no lips in the mouth area."""
    side = crop.shape[0]
    before = to_lab(crop)
    after = to_lab(np.clip(crop.astype(np.float32) + makeup_change, 0, 255).astype(np.uint8))
    rise = np.clip(after[..., 1] - before[..., 1], 0, None) * mouth_prior(side)
    rise = cv2.GaussianBlur(rise, (0, 0), max(0.5, side / 96))
    peak = float(rise.max())
    if peak < MIN_RISE:
        return np.zeros((side, side), np.float32)
    soft = np.clip((rise / peak - REGION_FLOOR) / (1 - REGION_FLOOR), 0, 1).astype(np.float32)
    # one blob: the one holding the peak (a blush on a cheek that reaches into the mouth area is not lips)
    _, labels = cv2.connectedComponents((soft > 0).astype(np.uint8), connectivity=8)
    py, px = np.unravel_index(int(np.argmax(rise)), rise.shape)
    return soft * (labels == labels[py, px])


def lip_mask(crop: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The lips [S, S] in 0..1 on an aligned crop at its own resolution (uint8 RGB, any size S), given the
    learned region (any size, lip_region): the region upsampled and grown, times "redder than the skin around
    the mouth" (teeth, the dark of an open mouth, stubble drop out). Where colour cannot tell lips from skin
    (pale lips, odd light), the learned region alone."""
    side = crop.shape[0]
    up = np.clip(cv2.resize(region.astype(np.float32), (side, side), interpolation=cv2.INTER_CUBIC), 0, 1)
    if up.max() <= 0:
        return np.zeros((side, side), np.float32)
    grown = np.clip(cv2.GaussianBlur(up, (0, 0), side / 64) * 2.5, 0, 1) * (mouth_prior(side) > 0)
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


def lipstick_change(crop: np.ndarray, mask: np.ndarray, shade: tuple[int, int, int],
                    strength: float = 1.0) -> np.ndarray:
    """The RGB change (float, 0..255 units) that paints the masked lips of `crop` (uint8 RGB) in `shade`:
    a*/b* move OPACITY x strength of the way to the shade's, lightness moves LIGHTNESS of the way to the shade's
    lightness (as a shift of the lips' mean, so their texture stays). Zero where the mask is zero."""
    if strength <= 0 or mask.max() <= 0:
        return np.zeros(crop.shape, np.float32)
    lab = to_lab(crop)
    target = to_lab(np.array([[shade]], np.uint8))[0, 0]
    weight = mask.astype(np.float32)
    lips_l = float((lab[..., 0] * weight).sum() / weight.sum())
    m = weight * float(strength)
    new = lab.copy()
    new[..., 0] = lab[..., 0] + m * LIGHTNESS * (target[0] - lips_l)
    new[..., 1:] = lab[..., 1:] + (m * OPACITY)[..., None] * (target[1:] - lab[..., 1:])
    return (from_lab(new) - from_lab(lab)) * (weight[..., None] > 0)
