"""Real photos for face models: decode an upload (EXIF orientation, limits), find faces and eyes with
OpenCV's bundled Haar cascades, align them like CelebA, and paste an edit back at full resolution."""

from .align import Alignment, align_face, native_side, paste_change, soft_mask
from .detect import Face, detect_faces
from .photo import MAX_WORK_SIDE, Photo, load_photo
from .quality import MIN_FACE_PX, face_warnings, sharpness

__all__ = [
    "MAX_WORK_SIDE", "MIN_FACE_PX", "Alignment", "Face", "Photo", "align_face", "detect_faces",
    "face_warnings", "load_photo", "native_side", "paste_change", "sharpness", "soft_mask",
]
