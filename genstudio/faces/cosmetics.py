"""Cosmetics painted where the trained model puts makeup, in the shade the user picks: the parts lipstick
(genstudio.faces.lips), eye shadow and blush share.

The model decides *where*, the user decides *which colour*. Where: the trained StarGAN's "add makeup" edit
(G(x, makeup on) - G(x, makeup off), whatever the face wears now) reddens the lips and cheeks and darkens the
eyelids. Inside each of a product's prior areas on the aligned face (soft ellipses: the mouth; the two upper
eyelids; the two cheekbones) the largest rise of that change, kept as the one connected blob holding the area's
peak, is the product's region at the model's resolution (48 px). At the crop's own resolution the region is
grown, softened and sharpened by colour (what is not skin drops out: the eye itself, lashes and brows for eye
shadow, stray hair for blush; lipstick has its own test, see lips.py). Which colour: in Lab, the masked pixels'
a*/b* move part of the way to the shade's and their mean lightness shifts towards the shade's lightness, so
their own texture stays. Lipstick is opaque; eye shadow and blush are translucent and fade out softly.
When the model marks nothing on the eyelids (or cheeks), eye shadow (or blush) goes on the prior ellipses
themselves: they are where it goes on every face, and a user who turned it on expects to see it. Lipstick then
paints nothing (lips vary too much in shape for an ellipse to pass for them).
Checked by eye on the astronaut with makeup-stargan48 (and a few held-out CelebA faces): the page's presets read
as eye shadow on the lids, the lashes, irises and brows untouched (taupe, the most muted, only faintly
on her pale lids), and as a blush on the cheekbones, not a painted patch.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from .align import EYE_CENTER, EYE_LEFT, EYE_RIGHT
from .recolor import from_lab, to_lab

Shade = tuple[int, int, int]
SHADE = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")
REGION_FLOOR = 0.3  # of an area's peak rise: below this the model is not painting the product there
MIN_RISE = 1.0  # 8-bit Lab units: a smaller peak means the model marks nothing in that area


def parse_shade(value: str) -> Shade:
    """'#rrggbb' or '#rgb' (the '#' optional, any case) -> (r, g, b); ValueError otherwise."""
    m = SHADE.fullmatch(value.strip()) if isinstance(value, str) else None
    if m is None:
        raise ValueError(f"not a colour: {value!r}")
    digits = m.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


@dataclass(frozen=True)
class Ellipse:
    """A soft ellipse on an aligned crop, in fractions of its side: 1 inside (1 - edge) of the radii, falling
    to 0 at the radii; with fade_up, weaker towards its top (1 - fade_up there: eye shadow is densest at the
    lashes and fades towards the brow)."""

    center: tuple[float, float]
    radii: tuple[float, float]
    edge: float = 0.3
    fade_up: float = 0.0

    def mask(self, side: int) -> np.ndarray:
        yy, xx = (np.mgrid[0:side, 0:side].astype(np.float32) + 0.5) / side
        r = np.hypot((xx - self.center[0]) / self.radii[0], (yy - self.center[1]) / self.radii[1])
        below_top = np.clip((yy - self.center[1]) / (2 * self.radii[1]) + 0.5, 0, 1)  # 0 at the top, 1 at the foot
        return np.clip((1.0 - r) / self.edge, 0, 1) * (1 - self.fade_up * (1 - below_top))


def redder(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """The rise of CIE a* (redness) from `before` to `after` (Lab images), 0 where it falls."""
    return np.clip(after[..., 1] - before[..., 1], 0, None)


def darker_or_redder(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Eye makeup darkens the lids more than it reddens them: the fall of L* plus the rise of a*."""
    return np.clip(before[..., 0] - after[..., 0], 0, None) + redder(before, after)


@dataclass(frozen=True)
class Product:
    """A cosmetic painted in a learned region: where it may go (priors), which part of the model's makeup change
    marks it (signal), and how it is painted (opacity: how far a*/b* move to the shade's; lightness: how far the
    mean L* moves to the shade's; soft: the falloff, a blur in fractions of the crop's side).

    fallback: when the model marks nothing in any prior, the priors themselves are the region (a user who asks
    for blush expects it on the cheeks, not nothing). mirror: the x of the face's axis; each side's region is
    joined with the other side's mirror image, so a pair (eyes, cheeks) is painted alike on both sides.
    darker: how many L* units below the skin a pixel is no longer skin (an eye, lashes, a brow, a strand of hair).
    """

    name: str
    priors: tuple[Ellipse, ...]
    signal: Callable[[np.ndarray, np.ndarray], np.ndarray]
    opacity: float
    lightness: float
    soft: float = 0.0
    fallback: bool = False
    mirror: float | None = None
    darker: float = 30.0

    def prior(self, side: int) -> np.ndarray:
        """Where the product may go on an aligned crop of this side, 0..1."""
        return np.max([p.mask(side) for p in self.priors], axis=0)

    def region(self, crop: np.ndarray, makeup_change: np.ndarray) -> np.ndarray:
        """The learned region [s, s] in 0..1 at the size of `crop` (uint8 RGB, aligned; usually the model's
        48 px input) from `makeup_change` (float [s, s, 3], 0..255 units: the generator's makeup-on minus
        makeup-off output for that crop). Without a mark in any prior: the priors (fallback) or all zero."""
        side = crop.shape[0]
        before = to_lab(crop)
        after = to_lab(np.clip(crop.astype(np.float32) + makeup_change, 0, 255).astype(np.uint8))
        rise = self.signal(before, after)
        region = np.max([peak_blob(rise * p.mask(side)) for p in self.priors], axis=0)
        if self.mirror is not None:
            region = np.maximum(region, mirrored(region, self.mirror))
        if region.max() <= 0 and self.fallback:
            return self.prior(side)
        return region

    def mask(self, crop: np.ndarray, region: np.ndarray) -> np.ndarray:
        """Where to paint [S, S] in 0..1 on an aligned crop at its own resolution (uint8 RGB, any size S), given
        the learned region (any size): the region upsampled and grown inside the priors, softened by `soft`,
        less what is not skin (much darker than the skin there, or greyer: the white of an eye)."""
        side = crop.shape[0]
        up = upsampled(region, side)
        if up.max() <= 0:
            return np.zeros((side, side), np.float32)
        prior = self.prior(side)
        grown = grow(up) * prior
        soft = cv2.GaussianBlur(grown, (0, 0), max(0.6, self.soft * side)) if self.soft else grown
        soft = soft / max(float(soft.max()), 1e-6)  # full strength at the heart of the product: opacity rules
        return np.clip(soft * skin_likeness(crop, grown > 0.3, self.darker), 0, 1).astype(np.float32)

    def change(self, crop: np.ndarray, mask: np.ndarray, shade: Shade, strength: float = 1.0) -> np.ndarray:
        """The RGB change (float, 0..255 units) that paints the masked part of `crop` in `shade` (see paint)."""
        return paint(crop, mask, shade, strength, self.opacity, self.lightness)


def peak_blob(rise: np.ndarray) -> np.ndarray:
    """The blob of `rise` (one prior's, [s, s]) holding its peak, 0..1 relative to the peak above REGION_FLOOR;
    all zero when the peak is below MIN_RISE (the model marks nothing there)."""
    side = rise.shape[0]
    rise = cv2.GaussianBlur(rise.astype(np.float32), (0, 0), max(0.5, side / 96))
    peak = float(rise.max())
    if peak < MIN_RISE:
        return np.zeros((side, side), np.float32)
    soft = np.clip((rise / peak - REGION_FLOOR) / (1 - REGION_FLOOR), 0, 1).astype(np.float32)
    # one blob: the one holding the peak (a blush reaching into the mouth area is not lips)
    _, labels = cv2.connectedComponents((soft > 0).astype(np.uint8), connectivity=8)
    py, px = np.unravel_index(int(np.argmax(rise)), rise.shape)
    return soft * (labels == labels[py, px])


def mirrored(image: np.ndarray, axis: float) -> np.ndarray:
    """`image` [s, s] flipped left-right about x = axis (a fraction of the side): the face's other side."""
    side = image.shape[1]
    matrix = np.float32([[-1, 0, 2 * axis * side - 1], [0, 1, 0]])
    return cv2.warpAffine(image.astype(np.float32), matrix, (side, image.shape[0]), flags=cv2.INTER_LINEAR,
                          borderValue=0)


def upsampled(region: np.ndarray, side: int) -> np.ndarray:
    """A learned region resized to `side` (cubic, clipped to 0..1)."""
    return np.clip(cv2.resize(region.astype(np.float32), (side, side), interpolation=cv2.INTER_CUBIC), 0, 1)


def grow(up: np.ndarray) -> np.ndarray:
    """A learned region at the crop's resolution, grown past its edge (the 48 px region is a little tight)."""
    return np.clip(cv2.GaussianBlur(up, (0, 0), up.shape[0] / 64) * 2.5, 0, 1)


def skin_likeness(crop: np.ndarray, inside: np.ndarray, darker: float) -> np.ndarray:
    """0..1 per pixel of `crop`: 1 for the skin of the area `inside` (its median lightness and chroma), falling
    to 0 for pixels more than `darker` L* units darker (an eye, lashes, brows, hair) or with under half the
    skin's chroma (the white of an eye). All 1 when `inside` is too small to tell."""
    if inside.sum() < 16:
        return np.ones(crop.shape[:2], np.float32)
    lab = to_lab(crop)
    chroma = np.hypot(lab[..., 1] - 128, lab[..., 2] - 128)
    skin_l, skin_c = float(np.median(lab[..., 0][inside])), float(np.median(chroma[inside]))
    light = np.clip((lab[..., 0] - (skin_l - darker)) / 10 + 0.5, 0, 1)
    coloured = np.clip((chroma - 0.5 * skin_c) / max(0.2 * skin_c, 1.0) + 0.5, 0, 1)
    return (light * coloured).astype(np.float32)


def paint(crop: np.ndarray, mask: np.ndarray, shade: Shade, strength: float, opacity: float,
          lightness: float) -> np.ndarray:
    """The RGB change (float, 0..255 units) that paints the masked part of `crop` (uint8 RGB) in `shade`: a*/b*
    move opacity x mask x strength of the way to the shade's, lightness moves lightness x mask x strength of the
    way to the shade's lightness (as a shift of the masked pixels' mean, so their texture stays). Zero where the
    mask is zero."""
    if strength <= 0 or mask.max() <= 0:
        return np.zeros(crop.shape, np.float32)
    lab = to_lab(crop)
    target = to_lab(np.array([[shade]], np.uint8))[0, 0]
    weight = mask.astype(np.float32)
    mean_l = float((lab[..., 0] * weight).sum() / weight.sum())
    m = weight * float(strength)
    new = lab.copy()
    new[..., 0] = lab[..., 0] + m * lightness * (target[0] - mean_l)
    new[..., 1:] = lab[..., 1:] + (m * opacity)[..., None] * (target[1:] - lab[..., 1:])
    return (from_lab(new) - from_lab(lab)) * (weight[..., None] > 0)


def eyelid(eye: tuple[float, float]) -> Ellipse:
    """The upper eyelid of an eye at `eye` on the aligned crop: between the lash line and the brow (on CelebA
    crops and the astronaut the lid is 0.47-0.50 of the side, the brows at 0.44-0.46, the eyes at 0.517)."""
    return Ellipse((eye[0], eye[1] - 0.028), (0.064, 0.026), edge=0.4, fade_up=0.6)


def cheek(x: float) -> Ellipse:
    """A cheekbone at x: below and outside the eye, above the mouth's corner."""
    return Ellipse((x, 0.62), (0.075, 0.055), edge=0.6)


# Eye shadow: translucent. Its lightness moves most of the way to the shade's (a darker shade deepens the lids),
# or taupe and bronze hardly show on pale lids; a*/b* a little over half way, so the lids' own colour shows.
EYE_SHADOW = Product("eye shadow", (eyelid(EYE_LEFT), eyelid(EYE_RIGHT)), darker_or_redder, opacity=0.6,
                     lightness=0.7, soft=0.01, fallback=True, mirror=EYE_CENTER[0], darker=45.0)
# Blush: a soft wash of colour on the cheekbones; their lightness barely moves (blush tints, it does not paint).
BLUSH = Product("blush", (cheek(EYE_CENTER[0] - 0.17), cheek(EYE_CENTER[0] + 0.17)), redder, opacity=0.3,
                lightness=0.1, soft=0.035, fallback=True, mirror=EYE_CENTER[0], darker=40.0)
