"""CelebA-like alignment and paste-back.

A face is mapped by a similarity transform (rotation, uniform scale, shift) onto a square crop where the
eyes sit where our detector finds them on CelebA's own crops (scripts/makeup_calibrate.py: median over 245
sharp CelebA images). The model edits the small crop; only its *change* is brought back: upsampled to the
face's size in the photo, weighted by a feathered elliptical mask, warped by the inverse transform and added
inside the face's bounding rectangle. Every pixel where the mask is zero keeps its original value exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .detect import BOX_CENTER, BOX_SIDE, Face

# measured by scripts/makeup_calibrate.py (fractions of the crop side; the face boxes' in detect.py)
EYE_LEFT = (0.3837, 0.5172)
EYE_RIGHT = (0.6027, 0.5179)
EYE_CENTER = ((EYE_LEFT[0] + EYE_RIGHT[0]) / 2, (EYE_LEFT[1] + EYE_RIGHT[1]) / 2)
EYE_DISTANCE = EYE_RIGHT[0] - EYE_LEFT[0]
EXPECTED_EYE_RATIO = EYE_DISTANCE / BOX_SIDE  # eye distance / box side on CelebA crops (0.376)
# Eyes whose distance is outside this share of EXPECTED_EYE_RATIO were misread (an eyebrow, a nostril, one eye
# twice) or the head is turned far: the face is then aligned by its box, which is the better guess of its scale.
EYE_RATIO_RANGE = (0.7, 1.35)
# How much too large the crop of a face aligned by its box alone can be. Measured on the scene yardstick's scenes
# (genstudio eval makeup, three seeds, ~460 held-out faces): boxes of faces without eyes were up to 1.30x the true
# box (a few percent off-centre), so the paste mask's ellipse reached past the head onto the backdrop. A box-only
# alignment pastes through soft_mask's ellipse shrunk by this factor (the face itself is well inside it).
BOX_SLACK = 1.15


@dataclass
class Alignment:
    """matrix: 2x3 affine, photo pixels -> crop pixels of a crop `side` pixels wide; by_eyes: placed by both
    eyes (False: by the detection box alone, whose scale and centre are much less certain)."""

    matrix: np.ndarray
    side: int
    by_eyes: bool = True

    @property
    def scale(self) -> float:
        """Crop pixels per photo pixel."""
        return float(math.hypot(self.matrix[0, 0], self.matrix[1, 0]))

    def resized(self, side: int) -> Alignment:
        """The same alignment for a crop of another size."""
        return Alignment(self.matrix * (side / self.side), side, self.by_eyes)

    def paste_mask(self, side: int | None = None) -> np.ndarray:
        """The feathered ellipse an edit is pasted back through: soft_mask's, shrunk by BOX_SLACK when the face
        was aligned by its box alone (the crop may be up to that much too large: the full ellipse then reached
        past the head onto the backdrop)."""
        side = side or self.side
        if self.by_eyes:
            return soft_mask(side)
        return soft_mask(side, SOFT_INNER / BOX_SLACK, SOFT_OUTER / BOX_SLACK)

    def crop(self, photo: np.ndarray, side: int | None = None) -> np.ndarray:
        """The aligned crop (reflecting the photo at its borders), anti-aliased when shrinking a lot."""
        side = side or self.side
        work = self.resized(side)
        if work.scale < 0.5:  # warp at (up to 8x) the target size first, then area-average down: no aliasing
            big = min(8 * side, int(round(side * 0.5 / work.scale)))
            out = cv2.warpAffine(photo, self.resized(big).matrix, (big, big), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REFLECT_101)
            return cv2.resize(out, (side, side), interpolation=cv2.INTER_AREA)
        return cv2.warpAffine(photo, work.matrix, (side, side), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REFLECT_101)

    def photo_corners(self) -> np.ndarray:
        """The crop's four corners in photo coordinates [4, 2]."""
        inv = cv2.invertAffineTransform(self.matrix)
        s = self.side
        pts = np.array([[0, 0, 1], [s, 0, 1], [s, s, 1], [0, s, 1]], dtype=np.float64)
        return pts @ inv.T

    def eye_error(self, face: Face) -> float | None:
        """Where the detected eyes land in the crop vs the canonical eyes, as a fraction of the eye distance."""
        if face.eyes is None:
            return None
        got = np.array([self.matrix @ np.array([*p, 1.0]) for p in face.eyes]) / self.side
        want = np.array([EYE_LEFT, EYE_RIGHT])
        return float(np.abs(got - want).max() / EYE_DISTANCE)


def eyes_fit_box(face: Face) -> bool:
    """Both eyes found, at a distance that agrees with the face box's size (EYE_RATIO_RANGE)."""
    if face.eyes is None:
        return False
    ratio = (face.eye_distance or 0.0) / max(face.size, 1e-6) / EXPECTED_EYE_RATIO
    return EYE_RATIO_RANGE[0] < ratio < EYE_RATIO_RANGE[1]


def align_face(face: Face, side: int) -> Alignment:
    """Similarity transform putting the face where CelebA's faces are: by the eyes when both were found and
    agree with the box (eyes_fit_box), otherwise by the detector's box (and the angle it was found at)."""
    by_eyes = eyes_fit_box(face)
    if by_eyes:
        (lx, ly), (rx, ry) = face.eyes
        center = ((lx + rx) / 2, (ly + ry) / 2)
        scale = EYE_DISTANCE * side / max(face.eye_distance or 1.0, 1e-6)
        target = (EYE_CENTER[0] * side, EYE_CENTER[1] * side)
        angle = face.roll()
    else:
        center = face.center
        scale = BOX_SIDE * side / face.size
        target = (BOX_CENTER[0] * side, BOX_CENTER[1] * side)
        angle = face.angle
    m = cv2.getRotationMatrix2D(center, angle, scale)  # rotating by the roll levels the eye line
    m[0, 2] += target[0] - center[0]
    m[1, 2] += target[1] - center[1]
    return Alignment(m, side, by_eyes)


def native_side(face: Face) -> int:
    """The crop side at which the face keeps the photo's own resolution (one crop pixel per photo pixel)."""
    if eyes_fit_box(face):
        return int(round((face.eye_distance or 1.0) / EYE_DISTANCE))
    return int(round(face.size / BOX_SIDE))


SOFT_INNER, SOFT_OUTER = 0.78, 0.98  # soft_mask's radii, fractions of the crop's half side


def soft_mask(side: int, inner: float = SOFT_INNER, outer: float = SOFT_OUTER) -> np.ndarray:
    """Elliptical mask over the crop: 1 inside `inner` of the radius, a smooth (cosine) fall to 0 at `outer`."""
    c = (side - 1) / 2
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
    r = np.hypot((xx - c) / (side / 2), (yy - c) / (side / 2))
    t = np.clip((r - inner) / (outer - inner), 0, 1)
    return (0.5 + 0.5 * np.cos(np.pi * t)).astype(np.float32) * (r < outer)


def paste_change(photo: np.ndarray, alignment: Alignment, change: np.ndarray, mask: np.ndarray | None = None,
                 max_side: int = 1024, reach: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Add an aligned change map to the photo.

    change: float32 [h, w, 3] in 0..255 units on the crop (any size; usually the generator's 48 px change);
    it is upsampled (bicubic) to the face's own resolution in the photo (capped at max_side) before the
    inverse warp. mask: the crop's own mask (any size), multiplied by the alignment's paste mask; None: the
    paste mask alone. reach: a crop mask (any size) that widens it where the change belongs past the ellipse
    (the hair: genstudio.faces.recolor.hair_mask with reach); it never leaves the crop. Returns (edited uint8
    photo, float mask in photo coordinates). Pixels where the mask is 0 are copied, not recomputed.
    """
    side = int(min(max(native_side_from(alignment), change.shape[0]), max_side))
    work = alignment.resized(side)
    up = cv2.resize(change.astype(np.float32), (side, side), interpolation=cv2.INTER_CUBIC)
    m = work.paste_mask()
    if mask is not None:  # a caller's mask narrows the paste mask, never widens it
        m = m * resized_mask(mask, side)
    if reach is not None:
        m = np.maximum(m, resized_mask(reach, side))
    weighted = np.concatenate([up * m[..., None], m[..., None]], axis=2)
    # only the face's bounding rectangle in the photo is touched
    corners = work.photo_corners()
    h, w = photo.shape[:2]
    x0, y0 = max(0, int(np.floor(corners[:, 0].min()))), max(0, int(np.floor(corners[:, 1].min())))
    x1, y1 = min(w, int(np.ceil(corners[:, 0].max())) + 1), min(h, int(np.ceil(corners[:, 1].max())) + 1)
    out = photo.copy()
    full_mask = np.zeros((h, w), np.float32)
    if x1 <= x0 or y1 <= y0:
        return out, full_mask
    shift = work.matrix.copy()
    shift[:, 2] += shift[:, :2] @ np.array([x0, y0], dtype=np.float64)  # photo rect origin -> crop coords
    back = cv2.warpAffine(weighted, shift, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    region_mask = back[..., 3]
    region = photo[y0:y1, x0:x1].astype(np.float32) + back[..., :3]
    edited = np.clip(np.rint(region), 0, 255).astype(np.uint8)
    inside = region_mask > 1e-4
    out[y0:y1, x0:x1][inside] = edited[inside]
    full_mask[y0:y1, x0:x1] = np.where(inside, region_mask, 0)
    return out, full_mask


def resized_mask(mask: np.ndarray, side: int) -> np.ndarray:
    return np.clip(cv2.resize(mask.astype(np.float32), (side, side), interpolation=cv2.INTER_LINEAR), 0, 1)


def native_side_from(alignment: Alignment) -> int:
    """Crop side giving one crop pixel per photo pixel for this alignment."""
    return int(round(alignment.side / max(alignment.scale, 1e-6)))
