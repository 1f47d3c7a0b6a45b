"""Full-resolution hair recolouring: the mask stays off the face, and the hair moves to the requested colour."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from genstudio.faces import align_face, detect_faces
from genstudio.faces.recolor import HAIR_LAB, hair_mask, hair_prior, recolor_change, to_lab
from genstudio.services.makeup import DEFAULT_MODEL


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


def test_hair_routes_keep_the_face_out_of_a_hair_edit(astronaut, tiny_weights, monkeypatch):
    """"masked" and "recolor" change hair only; "gan" lets the generator's change reach the face too."""
    import torch

    from genstudio.imaging import uint8_to_tensor
    from genstudio.stargan.editor import Request, StarGanEditor
    from genstudio.stargan.photo import crop_change, hair_method_for

    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(tiny_weights))
    editor = StarGanEditor.from_weights(DEFAULT_MODEL)
    alignment = align_face(detect_faces(astronaut)[0], 128)
    crop = alignment.crop(astronaut)
    x = uint8_to_tensor(alignment.crop(astronaut, editor.size)[None])
    c_src = torch.zeros(1, len(editor.attributes))
    face = (slice(70, 100), slice(50, 78))  # cheeks, nose and mouth
    request = Request(hair="Blond_Hair")
    changes = {m: crop_change(editor, crop, x, c_src, request, 1.0, m) for m in ("gan", "masked", "recolor")}
    assert np.abs(changes["gan"][face]).mean() > 1.0
    for method in ("masked", "recolor"):
        assert np.abs(changes[method][face]).max() < 0.5 * np.abs(changes["gan"][face]).max()
        assert np.abs(changes[method][15:35, 40:88]).mean() > 0.5  # the top of the head does change
    assert hair_method_for(Request(hair="Gray_Hair"), {"Gray_Hair": "masked"}) == "masked"
    assert hair_method_for(Request(set={"Young": 0.0})) is None
    with pytest.raises(ValueError, match="hair_method"):
        crop_change(editor, crop, x, c_src, request, 1.0, "paint")


def test_a_small_head_takes_its_hair_colour_from_the_hair_not_the_backdrop():
    """A head that fills the crop less than CelebA's leaves backdrop in the patch where the hair colour is
    sampled; that backdrop must not become "the hair" (it did: a glow over the backdrop, the hair untouched)."""
    side = 128
    yy, xx = np.mgrid[0:side, 0:side]
    crop = np.empty((side, side, 3), np.uint8)
    crop[:] = (215, 225, 190)  # a pale green backdrop
    # hair from row 22 down: the patch where the hair colour is sampled is mostly backdrop
    head = ((xx - 64) / 40.0) ** 2 + ((yy - 72) / 50.0) ** 2 < 1
    crop[head] = (30, 24, 22)  # black hair
    face = ((xx - 64) / 27.0) ** 2 + ((yy - 80) / 36.0) ** 2 < 1
    crop[face] = (150, 100, 80)
    assert (~head[13:33, 44:83]).mean() > 0.5
    mask = hair_mask(crop)
    hair = head & ~face & (yy < 100)
    backdrop = ~head & (hair_prior(side) > 0.3)  # backdrop where the head prior allows hair
    assert mask[hair].mean() > 0.5
    assert mask[backdrop].mean() < 0.1


def test_a_model_can_name_its_own_hair_routes(tiny_weights, monkeypatch):
    """Routes are measured per model: weights whose config says `hair_route` use it, the rest HAIR_ROUTE."""
    from genstudio.stargan.editor import Request, StarGanEditor
    from genstudio.stargan.photo import HAIR_ROUTE, hair_method_for, hair_route

    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(tiny_weights))
    editor = StarGanEditor.from_weights(DEFAULT_MODEL)
    assert hair_route(editor) == HAIR_ROUTE
    editor.config = {**editor.config, "hair_route": {"Black_Hair": "gan"}}
    route = hair_route(editor)
    assert route["Black_Hair"] == "gan" and route["Gray_Hair"] == HAIR_ROUTE["Gray_Hair"]
    assert hair_method_for(Request(hair="Black_Hair"), route) == "gan"


def synthetic_head(hairline: int = 22) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 128 px aligned crop: a backdrop, hair from row `hairline` down to the shoulders, a face; returns
    (crop, hair, face) with boolean masks."""
    side = 128
    yy, xx = np.mgrid[0:side, 0:side]
    crop = np.empty((side, side, 3), np.uint8)
    crop[:] = (60, 70, 90)  # a dark slate backdrop
    head = (((xx - 64) / 46.0) ** 2 + ((yy - 72) / 58.0) ** 2 < 1) & (yy >= hairline)
    shoulders = (yy > 96) & ((xx < 26) | (xx > 102))  # long hair falling past the head ellipse
    hair = head | shoulders
    crop[hair] = (200, 160, 90)  # dark-blond hair
    face = ((xx - 64) / 27.0) ** 2 + ((yy - 80) / 36.0) ** 2 < 1
    crop[face] = (225, 180, 160)
    return crop, hair & ~face, face


def test_a_high_hairline_takes_the_hair_colour_from_the_hair_not_the_forehead():
    """Under a high hairline the patch at the top of the head is forehead: the hair's colour is still the
    hair's (the head's pixels clustered, the skin's cluster set aside), so the hair, not the forehead, moves."""
    from genstudio.faces.recolor import hair_reference

    crop, hair, face = synthetic_head()
    forehead = (np.mgrid[0:128, 0:128][0] < 40) & (np.abs(np.mgrid[0:128, 0:128][1] - 64) < 22)
    crop[forehead & ~face] = (225, 180, 160)  # skin where the top patch samples the hair colour
    ref = hair_reference(to_lab(crop), hair_prior(128), None, 25.0)
    assert np.abs(ref - to_lab(np.array([[[200, 160, 90]]], np.uint8))[0, 0]).max() < 8
    mask = hair_mask(crop)
    assert mask[hair & ~forehead & (hair_prior(128) > 0.5)].mean() > 0.6
    assert mask[forehead & ~face].mean() < 0.1


def test_no_halo_on_the_backdrop_and_reach_follows_hair_onto_the_shoulders():
    """A backdrop of a hue close to the hair's is not recoloured around the head; `reach` adds the long hair
    past the head prior, joined to it, but not a patch of the hair's colour that is not joined to it."""
    crop, hair, face = synthetic_head()
    crop[2:10, 2:10] = (200, 160, 90)  # a hair-coloured spot on the backdrop, not joined to the hair
    yy, xx = np.mgrid[0:128, 0:128]
    backdrop = ~hair & ~face & (hair_prior(128) > 0.3)
    shoulders = (yy > 100) & (xx < 20)
    mask, reached = hair_mask(crop), hair_mask(crop, reach=True)
    assert mask[backdrop].mean() < 0.1 and reached[backdrop].mean() < 0.1
    assert mask[shoulders].mean() < 0.2 < 0.8 < reached[shoulders].mean()
    assert reached[3:9, 3:9].max() < 0.05
