"""Is this face something StarGAN handles well? Checks that turn known failure modes into messages.

StarGAN learned from frontal, centred, well-lit 128 px CelebA crops; on other photos it makes "two mouths"
and colour casts (yunjey/stargan#45, #47). Rather than return a bad edit silently, each check below names a
reason the user can act on (another photo, a closer crop, better light).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from .align import Alignment, eyes_fit_box
from .detect import Face

MIN_FACE_PX = 40  # refused below this (the face is only a few dozen pixels: nothing to edit)
SMALL_FACE_PX = 64  # warned below this (the model works on 48 px crops; the face is ~60% of one)
# Laplacian variance of the 128 px aligned crop: CelebA val crops' 1st percentile is 90, astronaut blurred σ=3 is 32
BLUR_THRESHOLD = 60.0


@dataclass
class FaceWarning:
    """A reason an edit may go wrong. `template` is English with %(name)s placeholders filled from `values`, so
    that the web layer can show it in the visitor's language (pybabel extracts FaceWarning's 2nd argument)."""

    code: str
    template: str
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return self.template % self.values if self.values else self.template

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


def sharpness(crop: np.ndarray) -> float:
    """Variance of the Laplacian of the central part of a 128 px aligned crop: low means blurry."""
    gray = cv2.cvtColor(cv2.resize(crop, (128, 128), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(gray[32:112, 24:104], cv2.CV_64F).var())


def face_warnings(face: Face, alignment: Alignment, crop128: np.ndarray) -> list[FaceWarning]:
    """Warnings about one face, given its alignment and its aligned crop (uint8 RGB, any size)."""
    out: list[FaceWarning] = []
    if face.profile:
        out.append(FaceWarning("profile", "This face is turned sideways. The model learned from frontal faces, "
                                       "so the edit may look wrong (e.g. features in the wrong place)."))
    if face.size < SMALL_FACE_PX:
        out.append(FaceWarning("small_face", "The face is small (%(size)s px wide); the edit will be soft. A closer "
                                          "photo gives better results.", {"size": round(face.size)}))
    if face.eyes is None and not face.profile:
        out.append(FaceWarning("no_eyes", "The eyes could not be located, so the face is only roughly aligned; "
                                       "glasses, shadows or a turned head often cause this."))
    elif face.eyes is not None:
        mid_x = (face.eyes[0][0] + face.eyes[1][0]) / 2
        off = abs(mid_x - face.center[0]) / face.size if face.angle == 0 else 0.0
        if not eyes_fit_box(face) or off > 0.12:  # eyes that do not fit the box are not used to align either
            out.append(FaceWarning("poor_alignment", "The face looks turned away from the camera or the eyes were "
                                                  "misread; alignment may be off and the edit less natural."))
    if sharpness(crop128) < BLUR_THRESHOLD:
        out.append(FaceWarning("blurry", "The face is blurry or very low-contrast; the edit may smear details."))
    return out


def confidence_warnings(probabilities: dict[str, float]) -> list[FaceWarning]:
    """Warn when the model's own classifier is unsure what it is looking at (a sign of an unusual input)."""
    hair = [v for k, v in probabilities.items() if k.endswith("_Hair")]
    binary = [v for k, v in probabilities.items() if not k.endswith("_Hair")]
    sure = float(np.mean([abs(2 * v - 1) for v in binary])) if binary else 1.0
    if (hair and max(hair) < 0.3) or sure < 0.25:
        return [FaceWarning("low_confidence", "The model is unsure about this face's current attributes (unusual "
                                           "lighting, pose or framing); edits may be weak or partial.")]
    return []
