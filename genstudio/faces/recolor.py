"""Hair recolouring at full resolution inside a soft hair mask (the optional route of the makeup issue).

A small CPU-trained StarGAN changes hair colour only coarsely (at 48 px, with colour blotches early in
training). This route keeps the photo's own hair texture and only moves its colour: a soft hair mask on the
aligned crop (where hair is in CelebA-aligned crops, minus the face, times similarity to the colour sampled
at the top of the head, times where the generator's own hair edit acts), then a shift of the masked pixels'
CIE Lab colour towards the requested colour's typical value (measured on CelebA by scripts/makeup_hair_colours.py).
"""

from __future__ import annotations

import cv2
import numpy as np

# target CIE Lab (OpenCV 8-bit scale: L 0..255, a/b centred on 128) per hair colour. Starting point: the median
# of masked hair pixels per CelebA label on training identities (scripts/makeup_hair_colours.py: black 25/130/130,
# blond 132/135/146, brown 58/135/139, gray 141/134/138 — shadows and skin in the masks pull them to the middle),
# then moved to where each colour reads unambiguously (lighter blond and gray, warmer brown, neutral gray) and
# tuned with the mask's sigma on 80 *training* identities against the face attribute classifier.
HAIR_LAB: dict[str, tuple[float, float, float]] = {
    "Black_Hair": (12.0, 128.0, 128.0),
    "Blond_Hair": (185.0, 133.0, 168.0),
    "Brown_Hair": (80.0, 143.0, 155.0),
    "Gray_Hair": (175.0, 128.0, 127.0),
}


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """uint8 RGB -> float CIE Lab on OpenCV's 8-bit scale (L 0..255, a/b centred on 128), without rounding."""
    lab = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    return np.stack([lab[..., 0] * 2.55, lab[..., 1] + 128.0, lab[..., 2] + 128.0], axis=-1)


def from_lab(lab: np.ndarray) -> np.ndarray:
    """Inverse of to_lab: float RGB in 0..255 (not clipped, not rounded)."""
    raw = np.stack([lab[..., 0] / 2.55, lab[..., 1] - 128.0, lab[..., 2] - 128.0], axis=-1).astype(np.float32)
    return cv2.cvtColor(raw, cv2.COLOR_LAB2RGB) * 255.0


def _ellipse(side: int, cx: float, cy: float, rx: float, ry: float, soft: float = 0.15) -> np.ndarray:
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32) / side
    r = np.hypot((xx - cx) / rx, (yy - cy) / ry)
    return np.clip((1 + soft - r) / (2 * soft), 0, 1)


def face_ellipse(side: int) -> np.ndarray:
    """The face's skin (brows to chin) in a CelebA-aligned crop, soft-edged, 0..1."""
    return _ellipse(side, 0.5, 0.63, 0.22, 0.29, soft=0.1)


def hair_prior(side: int) -> np.ndarray:
    """Where hair is in a CelebA-aligned crop: the head minus the face (skin) and below the chin."""
    head = _ellipse(side, 0.5, 0.48, 0.46, 0.50)
    face = face_ellipse(side)
    yy = np.mgrid[0:side, 0:side][0].astype(np.float32) / side
    return head * (1 - face) * np.clip((0.95 - yy) / 0.1, 0, 1)


def _patch(lab: np.ndarray, rows: tuple[float, float], cols: tuple[float, float]) -> np.ndarray:
    """The pixels [N, 3] of a region given as fractions of the crop's side."""
    side = lab.shape[0]
    return lab[int(rows[0] * side):int(rows[1] * side), int(cols[0] * side):int(cols[1] * side)].reshape(-1, 3)


def _distance(lab: np.ndarray, ref: np.ndarray, l_weight: float) -> np.ndarray:
    diff = lab - ref
    return np.sqrt((diff[..., 0] * l_weight) ** 2 + diff[..., 1] ** 2 + diff[..., 2] ** 2)


def hair_mask(crop: np.ndarray, change: np.ndarray | None = None, sigma: float = 25.0) -> np.ndarray:
    """Soft hair mask [S, S] in 0..1 for an aligned RGB uint8 crop; `change` (S x S x 3, the generator's hair
    edit upsampled) sharpens it towards where the model itself recolours.

    The hair's colour is sampled at the top of the head, less the pixels that look like the backdrop (sampled in
    the top corners): a small head leaves backdrop in that patch, and the mask then chose the backdrop."""
    side = crop.shape[0]
    lab = to_lab(crop)
    prior = hair_prior(side)
    backdrops = [np.median(_patch(lab, (0.0, 0.12), cols), axis=0) for cols in ((0.0, 0.12), (0.88, 1.0))]
    top = _patch(lab, (0.10, 0.26), (0.35, 0.65))
    hairlike = np.all([_distance(top, b, 0.7) > sigma / 2 for b in backdrops], axis=0)
    ref = np.median(top[hairlike] if hairlike.mean() > 0.2 else top, axis=0)
    # hair keeps its hue and saturation across highlights and shadows, not its lightness: weigh L down
    similar = np.exp(-0.5 * (_distance(lab, ref, 1 / 3) / sigma) ** 2)
    similar = cv2.morphologyEx(similar.astype(np.float32), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8),
                               iterations=max(1, side // 64))
    mask = prior * similar
    if change is not None:
        act = np.abs(change).sum(axis=2)
        act = cv2.GaussianBlur(act, (0, 0), side / 48)
        scale = np.percentile(act[prior > 0.5], 90) + 1e-6 if (prior > 0.5).any() else act.max() + 1e-6
        mask *= 0.5 + 0.5 * np.clip(act / scale, 0, 1)
    mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, side / 128))
    return np.clip(mask, 0, 1)


def recolor_change(crop: np.ndarray, mask: np.ndarray, hair: str, strength: float = 1.0) -> np.ndarray:
    """The RGB change (float, 0..255 units) that moves the masked hair's colour to the target's typical colour,
    keeping its texture: the mask-weighted median Lab of the hair is shifted to HAIR_LAB[hair]."""
    lab = to_lab(crop)
    w = mask > 0.5
    if w.sum() < 16:
        return np.zeros_like(crop, dtype=np.float32)
    now = np.median(lab[w], axis=0)
    target = np.array(HAIR_LAB[hair], np.float32)
    shift = (target - now) * strength
    # lighten/darken in proportion (keeps strands' contrast), shift a/b outright
    new = lab.copy()
    m = mask[..., None] * strength
    new[..., 0] = lab[..., 0] + m[..., 0] * shift[0]
    new[..., 1:] = lab[..., 1:] + m * shift[1:]
    # float round trip: where the mask is zero the change is zero (up to float error), not quantisation noise
    return (from_lab(new) - from_lab(lab)) * (mask[..., None] > 0)
