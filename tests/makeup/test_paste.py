"""Paste-back: the change is added only under the mask; every other pixel keeps its exact original value."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from genstudio.faces import Face, align_face, paste_change, soft_mask


def photo(h: int = 300, w: int = 400, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_soft_mask_is_one_inside_zero_at_the_edges():
    m = soft_mask(64)
    assert m[32, 32] == 1.0 and m[0, 0] == 0.0 and m[32, 0] == 0.0
    assert ((m >= 0) & (m <= 1)).all()
    assert 0 < m[32, 3] < 1  # feathered, not a hard edge


@settings(max_examples=25, deadline=None)
@given(cx=st.floats(-50, 450), cy=st.floats(-50, 350), size=st.floats(30, 250), angle=st.floats(-40, 40),
       change_side=st.sampled_from([16, 48]), seed=st.integers(0, 3))
def test_pixels_outside_the_mask_are_identical(cx, cy, size, angle, change_side, seed):
    img = photo(seed=seed)
    face = Face((cx, cy), size, angle)
    change = np.random.default_rng(seed).normal(0, 40, (change_side, change_side, 3)).astype(np.float32)
    out, mask = paste_change(img, align_face(face, change_side), change)
    assert out.shape == img.shape and out.dtype == np.uint8
    outside = mask == 0
    assert np.array_equal(out[outside], img[outside])
    changed = (out != img).any(axis=2)
    assert not (changed & outside).any()


def test_change_lands_on_the_face_at_full_resolution():
    img = np.full((600, 800, 3), 100, np.uint8)
    face = Face((400.0, 300.0), 200.0)
    change = np.full((48, 48, 3), 30.0, np.float32)  # +30 everywhere on the crop
    out, mask = paste_change(img, align_face(face, 48), change)
    centre = out[290:310, 390:410].astype(int)
    assert (centre == 130).all()  # full change at the face centre
    assert (out[:20] == 100).all() and (out[:, :100] == 100).all()  # far away: untouched
    assert mask.max() == 1.0 and (mask > 0).sum() > 150 * 150


def test_zero_change_gives_back_the_same_photo():
    img = photo()
    out, _ = paste_change(img, align_face(Face((200.0, 150.0), 120.0, 10.0), 48), np.zeros((48, 48, 3), np.float32))
    assert np.array_equal(out, img)


def test_reach_widens_the_paste_past_the_ellipse_only_where_it_says_and_never_past_the_crop():
    """Long hair in the crop's corners lies outside the face's ellipse: a hair edit pastes there through its
    reach mask, every other corner pixel keeps its value, and nothing outside the crop changes."""
    img = np.full((600, 800, 3), 100, np.uint8)
    alignment = align_face(Face((400.0, 300.0), 200.0), 64)
    change = np.full((64, 64, 3), 30.0, np.float32)
    reach = np.zeros((64, 64), np.float32)
    reach[52:, :10] = 1.0  # the crop's bottom-left corner: hair on a shoulder
    plain, _ = paste_change(img, alignment, change)
    wide, mask = paste_change(img, alignment, change, reach=reach)
    corners = alignment.photo_corners()
    inv = np.linalg.inv(np.vstack([alignment.matrix, [0, 0, 1]]))
    shoulder = (inv @ np.array([3.0, 60.0, 1.0]))[:2].round().astype(int)  # crop (3, 60) in the photo
    other = (inv @ np.array([60.0, 60.0, 1.0]))[:2].round().astype(int)  # bottom-right corner: no reach
    assert plain[shoulder[1], shoulder[0]].tolist() == [100] * 3  # the ellipse alone left the shoulder
    assert wide[shoulder[1], shoulder[0]].tolist() == [130] * 3
    assert wide[other[1], other[0]].tolist() == [100] * 3
    x0, x1 = corners[:, 0].min(), corners[:, 0].max()
    y0, y1 = corners[:, 1].min(), corners[:, 1].max()
    assert (mask[: int(y0) - 1] == 0).all() and (mask[int(y1) + 2:] == 0).all()
    assert (mask[:, : int(x0) - 1] == 0).all() and (mask[:, int(x1) + 2:] == 0).all()
