"""Full-resolution hair recolouring: the mask stays off the face, and the hair moves to the requested colour."""

from __future__ import annotations

import cv2
import numpy as np

from genstudio.faces import align_face, detect_faces
from genstudio.faces.recolor import HAIR_LAB, hair_mask, recolor_change


def test_mask_covers_hair_not_face(astronaut):
    face = detect_faces(astronaut)[0]
    crop = align_face(face, 128).crop(astronaut)
    mask = hair_mask(crop)
    assert mask.min() >= 0 and mask.max() <= 1
    assert mask[70:100, 50:78].max() < 0.05  # cheeks, nose and mouth
    assert mask[15:35, 40:88].mean() > 0.4  # the top of the head


def test_recolour_moves_hair_to_the_target_and_leaves_the_rest(astronaut):
    face = detect_faces(astronaut)[0]
    crop = align_face(face, 128).crop(astronaut)
    mask = hair_mask(crop)
    for hair in ("Black_Hair", "Blond_Hair", "Gray_Hair"):
        change = recolor_change(crop, mask, hair)
        edited = np.clip(crop + change, 0, 255).astype(np.uint8)
        lab_before = cv2.cvtColor(crop, cv2.COLOR_RGB2LAB)[mask > 0.8].astype(float)
        lab_after = cv2.cvtColor(edited, cv2.COLOR_RGB2LAB)[mask > 0.8].astype(float)
        target = np.array(HAIR_LAB[hair])
        assert np.abs(np.median(lab_after, 0) - target).sum() < 0.5 * np.abs(np.median(lab_before, 0) - target).sum()
        assert np.abs(change[mask < 1e-3]).max() < 1.0  # nothing happens where the mask is zero
    assert np.abs(recolor_change(crop, mask, "Blond_Hair", strength=0.0)).max() < 1.0
