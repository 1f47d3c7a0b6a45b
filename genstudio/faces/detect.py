"""Face and eye detection with the Haar cascades that ship inside opencv-python-headless (no downloads).

Faces are searched on a downscaled grey copy (fast on big photos); when no upright face is found the photo
is searched again turned by ±25° and by quarter turns, so tilted and sideways photos without an EXIF
orientation still work. Eyes are then searched inside each face at a fixed size, which gives the in-plane
angle and scale that alignment needs.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import cv2
import numpy as np

DETECT_SIDE = 640  # faces are searched on a copy at most this big: faces under ~4% of the longer side are missed
MIN_FACE_FRACTION = 0.03  # of the detection image's shorter side
EYE_ROI_SIZE = 160  # faces are resized to this width before the eye search
RETRY_ANGLES = (25.0, -25.0, 90.0, -90.0, 180.0)
MIN_VOTES_WITHOUT_EYES = 10

# Where the cascades put their box on CelebA's own crops (fractions of the crop side; scripts/makeup_calibrate.py,
# medians over a few hundred sharp crops, padded and upscaled 2x). Alignment without eyes relies on them.
BOX_CENTER = (0.5000, 0.5859)  # the frontal cascade
BOX_SIDE = 0.5820
# The profile cascade's box is larger and sits off-centre, to one side of the face: centre x 0.5996 on the
# photo as given (0.4004 when found on the mirrored photo), y 0.5664, side 0.69 (0.6875 and 0.6953). A profile
# detection is reported as the frontal box of the same face (PROFILE_*: the shift in profile-box sides, the
# scale), so that it is aligned like any other face. Taken as a frontal box, it made the crop 1.2-1.5x too large
# and ~0.15 box sides off to one side (scene yardstick), and the edit's feathered border reached the backdrop.
PROFILE_SHIFT = ((BOX_CENTER[0] - 0.5996) / 0.69, (BOX_CENTER[1] - 0.5664) / 0.69)
PROFILE_SCALE = BOX_SIDE / 0.69


_idle: dict[str, list[cv2.CascadeClassifier]] = {}
_idle_guard = threading.Lock()


@contextmanager
def cascade(name: str) -> Iterator[cv2.CascadeClassifier]:
    """A cascade for this caller alone: OpenCV's CascadeClassifier keeps per-call scratch data, so one instance
    shared by request threads crashes (wrong results, C++ exceptions, segfaults). Loaded ones are pooled."""
    with _idle_guard:
        pool = _idle.setdefault(name, [])
        clf = pool.pop() if pool else None
    if clf is None:
        path = cv2.data.haarcascades + name
        clf = cv2.CascadeClassifier(path)
        if clf.empty():
            raise RuntimeError(f"OpenCV cascade {path} could not be loaded")
    try:
        yield clf
    finally:
        with _idle_guard:
            _idle[name].append(clf)


@dataclass
class Face:
    """A detected face in photo pixel coordinates.

    center/size: the detector's square box (rotated by `angle` degrees when found on a turned copy); for a face
    found by the profile cascade, the frontal cascade's box of the same face (estimated: PROFILE_SHIFT/SCALE);
    eyes: ((x, y) of the eye on the image's left, (x, y) of the other) or None when not found;
    votes: how many neighbouring detections agreed (the cascade's confidence);
    profile: found only by the profile-face cascade.
    """

    center: tuple[float, float]
    size: float
    angle: float = 0.0
    eyes: tuple[tuple[float, float], tuple[float, float]] | None = None
    votes: int = 0
    profile: bool = False

    @property
    def box(self) -> tuple[int, int, int, int]:
        """Axis-aligned bounding box (x, y, w, h) of the (possibly rotated) face square."""
        half = self.size / 2 * (abs(math.cos(math.radians(self.angle))) + abs(math.sin(math.radians(self.angle))))
        x0, y0 = self.center[0] - half, self.center[1] - half
        return int(round(x0)), int(round(y0)), int(round(2 * half)), int(round(2 * half))

    @property
    def eye_distance(self) -> float | None:
        if self.eyes is None:
            return None
        (lx, ly), (rx, ry) = self.eyes
        return math.hypot(rx - lx, ry - ly)

    def roll(self) -> float:
        """In-plane angle of the eye line (degrees; 0 is level), or the detection angle without eyes."""
        if self.eyes is None:
            return self.angle
        (lx, ly), (rx, ry) = self.eyes
        return math.degrees(math.atan2(ry - ly, rx - lx))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Face:
        eyes = d.get("eyes")
        return cls(tuple(d["center"]), float(d["size"]), float(d.get("angle", 0.0)),
                   (tuple(eyes[0]), tuple(eyes[1])) if eyes else None, int(d.get("votes", 0)),
                   bool(d.get("profile", False)))


def _gray(rgb: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    h, w = rgb.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))  # a 2000x1 photo must not shrink to nothing
    small = rgb if scale == 1.0 else cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    # no histogram equalisation here: on photos with large flat areas it wrecks the faces' contrast
    return cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), scale


def _rotation(shape: tuple[int, int], angle: float) -> tuple[np.ndarray, tuple[int, int]]:
    """Matrix turning an image of `shape` by `angle` degrees (counter-clockwise) onto a canvas holding it all."""
    h, w = shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(math.ceil(h * sin + w * cos)), int(math.ceil(h * cos + w * sin))
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return m, (nw, nh)


def _detect(gray: np.ndarray, name: str, min_neighbors: int = 5) -> list[tuple[np.ndarray, int]]:
    min_side = max(24, int(MIN_FACE_FRACTION * min(gray.shape)))  # 24: the cascades' window
    with cascade(name) as clf:
        boxes, votes = clf.detectMultiScale2(gray, scaleFactor=1.1, minNeighbors=min_neighbors,
                                             minSize=(min_side, min_side))
    return [(np.asarray(b, float), int(v)) for b, v in zip(boxes, votes, strict=False)]


def _nms(faces: list[Face], key=lambda f: -f.size) -> list[Face]:
    """Drop detections whose centre lies inside a better (by default: larger) kept face: the same face twice."""
    kept: list[Face] = []
    for f in sorted(faces, key=key):
        if all(math.dist(f.center, k.center) > 0.5 * k.size for k in kept):
            kept.append(f)
    return kept


def find_eyes(rgb: np.ndarray, face: Face) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Both eyes of a face (photo coordinates), searched in the upper part of the face turned upright."""
    # an upright, fixed-size patch of the face: rotate by the face angle about its centre, then scale
    s = EYE_ROI_SIZE / face.size
    m = cv2.getRotationMatrix2D(face.center, face.angle, s)
    m[0, 2] += EYE_ROI_SIZE / 2 - face.center[0]
    m[1, 2] += EYE_ROI_SIZE / 2 - face.center[1]
    patch = cv2.warpAffine(rgb, m, (EYE_ROI_SIZE, EYE_ROI_SIZE), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    gray = cv2.equalizeHist(cv2.cvtColor(patch, cv2.COLOR_RGB2GRAY))
    upper = gray[: int(EYE_ROI_SIZE * 0.62)]
    found: list[tuple[np.ndarray, int]] = []
    for name in ("haarcascade_eye.xml", "haarcascade_eye_tree_eyeglasses.xml"):
        with cascade(name) as clf:
            boxes, votes = clf.detectMultiScale2(upper, scaleFactor=1.05, minNeighbors=3, minSize=(12, 12),
                                                 maxSize=(EYE_ROI_SIZE // 3, EYE_ROI_SIZE // 3))
        found = [(np.asarray(b, float), int(v)) for b, v in zip(boxes, votes, strict=False)]
        if len(found) >= 2:
            break
    best, best_score = None, -1e9
    for i in range(len(found)):
        for j in range(len(found)):
            (a, va), (b, vb) = found[i], found[j]
            ca = a[:2] + a[2:] / 2
            cb = b[:2] + b[2:] / 2
            if not (ca[0] < EYE_ROI_SIZE * 0.5 < cb[0]):
                continue  # one eye on each side of the face's middle
            dist = float(np.hypot(*(cb - ca)))
            tilt = abs(math.degrees(math.atan2(cb[1] - ca[1], cb[0] - ca[0])))
            if not (0.25 * EYE_ROI_SIZE < dist < 0.6 * EYE_ROI_SIZE) or tilt > 25:
                continue
            sym = abs((ca[0] + cb[0]) / 2 - EYE_ROI_SIZE / 2) / EYE_ROI_SIZE  # eyes centred in the box
            size = abs(a[2] - b[2]) / max(a[2], b[2])
            score = va + vb - 20 * sym - 5 * size - 0.2 * tilt
            if score > best_score:
                best, best_score = (ca, cb), score
    if best is None:
        return None
    inv = cv2.invertAffineTransform(m)
    pts = [tuple(float(v) for v in inv @ np.array([p[0], p[1], 1.0])) for p in best]
    return pts[0], pts[1]


def detect_faces(rgb: np.ndarray, with_eyes: bool = True) -> list[Face]:
    """All faces in an RGB uint8 photo, largest first. Profile-only faces are returned flagged."""
    gray, scale = _gray(rgb, DETECT_SIDE)
    faces = _frontal(gray, scale, 0.0)
    for f in faces:
        f.eyes = find_eyes(rgb, f)
    # weak detections (few votes) count only with eyes: textures (coffee froth, foliage) fool the cascade
    faces = [f for f in faces if f.eyes is not None or f.votes >= MIN_VOTES_WITHOUT_EYES]
    if not faces:  # turned photos: try every angle, then keep per region the detection whose eyes are found
        for angle in RETRY_ANGLES:
            faces += _frontal(gray, scale, angle)
        for f in faces:
            f.eyes = find_eyes(rgb, f)
        # a turned detection counts only with both eyes found: turned copies breed false faces (textures)
        faces = _nms([f for f in faces if f.eyes is not None], key=lambda f: -f.votes)
    if not faces:  # a face turned sideways: the frontal cascade misses it, the profile cascade (both ways) may not
        for flip in (False, True):
            g = gray[:, ::-1].copy() if flip else gray
            for box, votes in _detect(g, "haarcascade_profileface.xml", 4):
                side = box[2]
                cx = box[0] + side / 2 + PROFILE_SHIFT[0] * side
                cx = g.shape[1] - cx if flip else cx
                cy = box[1] + side / 2 + PROFILE_SHIFT[1] * side
                faces.append(Face((float(cx / scale), float(cy / scale)), float(side * PROFILE_SCALE / scale), 0.0,
                                  None, votes, profile=True))
    faces = _nms(faces)
    if with_eyes:
        for f in faces:
            if not f.profile and f.eyes is None:
                f.eyes = find_eyes(rgb, f)
    return faces


def _frontal(gray: np.ndarray, scale: float, angle: float) -> list[Face]:
    """Frontal faces on the grey detection image turned by angle, in photo coordinates."""
    if angle == 0.0:
        g, inv = gray, None
    else:
        m, size = _rotation(gray.shape[:2], angle)
        g = cv2.warpAffine(gray, m, size, flags=cv2.INTER_LINEAR, borderValue=0)
        inv = cv2.invertAffineTransform(m)
    out = []
    for box, votes in _detect(g, "haarcascade_frontalface_default.xml"):
        c = box[:2] + box[2:] / 2
        if inv is not None:
            c = inv @ np.array([c[0], c[1], 1.0])
        out.append(Face((float(c[0] / scale), float(c[1] / scale)), float(box[2] / scale), angle, None, votes))
    return out
