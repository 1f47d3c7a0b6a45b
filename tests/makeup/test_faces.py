"""Detection and alignment on a real photo that ships with scikit-image, and on turned, scaled, padded and
EXIF-rotated versions of it."""

from __future__ import annotations

import io
import math

import cv2
import numpy as np
import pytest
from PIL import Image

from genstudio.faces import align_face, detect_faces, load_photo
from genstudio.faces.align import EYE_LEFT, EYE_RIGHT
from genstudio.faces.quality import face_warnings
from genstudio.stargan.photo import find_faces

from .conftest import encode

ASTRONAUT_FACE = (223.5, 113.5)  # centre of the astronaut's face box (measured once, by eye on the photo)


def aligned(photo: np.ndarray, side: int = 64) -> np.ndarray:
    faces = find_faces(photo)
    assert faces, "no face found"
    return align_face(faces[0], side).crop(photo).astype(np.float32)


def rotate(photo: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    h, w = photo.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(photo, m, (w, h), borderMode=cv2.BORDER_REFLECT_101), m


def test_astronaut_face_and_eyes(astronaut):
    faces = detect_faces(astronaut)
    assert len(faces) == 1
    face = faces[0]
    assert math.dist(face.center, ASTRONAUT_FACE) < 15 and 70 < face.size < 130
    assert face.eyes is not None and not face.profile
    (lx, ly), (rx, ry) = face.eyes
    assert lx < face.center[0] < rx and ly < face.center[1] and ry < face.center[1]
    assert abs(face.roll()) < 8


def test_alignment_puts_eyes_where_celeba_has_them(astronaut):
    face = detect_faces(astronaut)[0]
    a = align_face(face, 128)
    for eye, want in zip(face.eyes, (EYE_LEFT, EYE_RIGHT), strict=True):
        got = a.matrix @ np.array([*eye, 1.0]) / 128
        assert np.allclose(got, want, atol=1e-3)  # the eye line is made level: both at the mean height


@pytest.mark.parametrize("angle", [-20.0, 12.0])
def test_tilted_photo_is_levelled(astronaut, angle):
    turned, m = rotate(astronaut, angle)
    face = find_faces(turned)[0]
    want = m @ np.array([*ASTRONAUT_FACE, 1.0])
    assert math.dist(face.center, want) < 20
    assert face.eyes is not None
    assert abs(face.roll() - (-angle + detect_faces(astronaut)[0].roll())) < 6
    # the aligned crops of the upright and the turned photo show the same face
    diff = np.abs(aligned(turned) - aligned(astronaut)).mean()
    assert diff < 18, diff


def test_sideways_photo_without_exif_is_found(astronaut):
    sideways = np.ascontiguousarray(np.rot90(astronaut))  # turned a quarter, no orientation tag
    face = find_faces(sideways)[0]
    assert face.eyes is not None and abs(abs(face.roll()) - 90) < 10
    assert np.abs(aligned(sideways) - aligned(astronaut)).mean() < 18


@pytest.mark.parametrize("scale", [0.5, 2.5])
def test_scaled_photo(astronaut, scale):
    how = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    resized = cv2.resize(astronaut, None, fx=scale, fy=scale, interpolation=how)
    face = find_faces(resized)[0]
    assert math.dist(face.center, (ASTRONAUT_FACE[0] * scale, ASTRONAUT_FACE[1] * scale)) < 15 * scale
    assert np.abs(aligned(resized) - aligned(astronaut)).mean() < 15


def test_padded_photo_with_two_faces(astronaut):
    canvas = np.full((900, 1200, 3), 90, np.uint8)
    canvas[300:812, 620:1132] = astronaut
    small = cv2.resize(astronaut, (320, 320), interpolation=cv2.INTER_AREA)
    canvas[100:420, 100:420] = small
    faces = find_faces(canvas)
    assert len(faces) == 2
    assert math.dist(faces[0].center, (620 + ASTRONAUT_FACE[0], 300 + ASTRONAUT_FACE[1])) < 15  # largest first
    assert math.dist(faces[1].center, (100 + ASTRONAUT_FACE[0] * 0.625, 100 + ASTRONAUT_FACE[1] * 0.625)) < 10
    assert np.abs(aligned(canvas) - aligned(astronaut)).mean() < 12


@pytest.mark.parametrize("orientation,turn", [(6, Image.Transpose.ROTATE_90), (8, Image.Transpose.ROTATE_270),
                                              (3, Image.Transpose.ROTATE_180)])
def test_exif_orientation_is_respected(astronaut, orientation, turn):
    stored = Image.fromarray(astronaut).transpose(turn)  # what the camera wrote: pixels sideways + a tag
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    stored.save(buf, format="JPEG", quality=92, exif=exif.tobytes())
    photo = load_photo(buf.getvalue())
    assert photo.orientation == orientation and photo.image.size == (512, 512)
    face = find_faces(photo.array)[0]
    assert math.dist(face.center, ASTRONAUT_FACE) < 15 and abs(face.roll()) < 8


def test_large_photo_is_downscaled_to_working_size(astronaut):
    big = cv2.resize(astronaut, (4600, 4600), interpolation=cv2.INTER_NEAREST)
    photo = load_photo(encode(big, "JPEG", quality=70), max_side=4096)
    assert photo.downscaled and max(photo.image.size) == 4096


def test_no_face_in_a_coffee_cup():
    from skimage import data

    assert find_faces(data.coffee()) == []


def test_profile_face_is_flagged():
    from skimage import data

    camera = cv2.cvtColor(data.camera(), cv2.COLOR_GRAY2RGB)
    faces = find_faces(camera)
    assert faces and faces[0].profile
    codes = [w.code for w in face_warnings(faces[0], align_face(faces[0], 128), align_face(faces[0], 128).crop(camera))]
    assert "profile" in codes


def test_blurry_face_is_flagged(astronaut):
    face = detect_faces(astronaut)[0]
    a = align_face(face, 128)
    sharp = [w.code for w in face_warnings(face, a, a.crop(astronaut))]
    blurred = cv2.GaussianBlur(astronaut, (0, 0), 4)
    soft = [w.code for w in face_warnings(face, a, a.crop(blurred))]
    assert "blurry" not in sharp and "blurry" in soft
