"""Eye shadow and blush: painted where the model's makeup edit marks the upper eyelids and the cheeks
(genstudio.faces.cosmetics), in the shade the user picks. The regions on a face drawn by the test with a fake
makeup change; the painting on flat patches; the real pipeline with the shipped makeup-stargan48 on the
astronaut; the service's parameters through prepare() and the jobs API with the tiny weights."""

from __future__ import annotations

import io
import json

import cv2
import numpy as np
import pytest
from PIL import Image

from genstudio.errors import ParamError
from genstudio.faces.align import EYE_CENTER, EYE_LEFT, EYE_RIGHT
from genstudio.faces.cosmetics import BLUSH, EYE_SHADOW, parse_shade
from genstudio.faces.lips import LIPSTICK
from genstudio.faces.recolor import to_lab
from genstudio.services.makeup import SERVICE
from genstudio.services.makeup.pipeline import request_from_params
from genstudio.stargan.photo import find_faces

from ..conftest import wait_job
from .conftest import encode
from .test_lips import MOUTH, edit, editor, post  # noqa: F401  (editor: the shipped weights, a module fixture)

SKIN, BROW, WHITE, IRIS, LIPS = (224, 178, 150), (70, 45, 30), (235, 235, 235), (60, 40, 30), (170, 60, 70)
TEAL = "#2f6e70"  # far from skin, lips and brows: any move towards it is the paint's


def ellipse(img: np.ndarray, centre: tuple[float, float], radii: tuple[float, float], colour) -> None:
    side = img.shape[0]
    cv2.ellipse(img, (round(centre[0] * side), round(centre[1] * side)),
                (max(1, round(radii[0] * side)), max(1, round(radii[1] * side))), 0, 0, 360, colour, -1)


def drawn_face(side: int) -> np.ndarray:
    """A frontal face on a CelebA-aligned crop: skin, brows at y 0.45, eyes (white, dark iris) where the
    alignment puts them, red lips at y 0.79."""
    img = np.full((side, side, 3), 90, np.uint8)
    ellipse(img, (0.5, 0.62), (0.27, 0.36), SKIN)
    for eye in (EYE_LEFT, EYE_RIGHT):
        ellipse(img, (eye[0], 0.45), (0.06, 0.009), BROW)
        ellipse(img, eye, (0.045, 0.016), WHITE)
        ellipse(img, eye, (0.014, 0.014), IRIS)
    ellipse(img, (0.5, 0.79), (0.08, 0.025), LIPS)
    return img


def fake_makeup(side: int, lids: bool = True, cheeks: tuple[float, ...] = (0.30, 0.69)) -> np.ndarray:
    """What a trained model's makeup edit does (0..255 units): darker eyelids and eyes, redder cheeks (at the
    given x), much redder lips."""
    change = np.zeros((side, side, 3), np.float32)
    for eye in (EYE_LEFT, EYE_RIGHT) if lids else ():
        ellipse(change, (eye[0], eye[1] - 0.02), (0.06, 0.03), (-45.0, -50.0, -45.0))
    for x in cheeks:
        ellipse(change, (x, 0.61), (0.06, 0.045), (25.0, -8.0, -5.0))
    ellipse(change, (0.5, 0.79), (0.09, 0.03), (60.0, -20.0, -10.0))
    return cv2.GaussianBlur(change, (0, 0), side / 96)


def centroid(weights: np.ndarray) -> tuple[float, float]:
    """(x, y) of a weight map's centre of mass, in fractions of its side."""
    ys, xs = np.mgrid[0:weights.shape[0], 0:weights.shape[1]]
    total = weights.sum()
    return float(((xs + 0.5) * weights).sum() / total / weights.shape[1]), \
        float(((ys + 0.5) * weights).sum() / total / weights.shape[0])


def halves(region: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The left and right halves of a map, the other half zeroed."""
    left, right = region.copy(), region.copy()
    left[:, region.shape[1] // 2:] = 0
    right[:, : region.shape[1] // 2] = 0
    return left, right


def mean_ab(img: np.ndarray, where: np.ndarray) -> np.ndarray:
    return to_lab(img)[where][:, 1:].mean(axis=0)


# ---- regions and masks on a drawn face ----

def test_eye_shadow_region_is_the_upper_eyelids_not_the_eyes_or_the_mouth():
    small = drawn_face(48)
    region = EYE_SHADOW.region(small, fake_makeup(48))
    assert region.max() == 1.0
    for half, eye in zip(halves(region), (EYE_LEFT, EYE_RIGHT), strict=True):
        x, y = centroid(half)
        assert abs(x - eye[0]) < 0.04 and 0.45 < y < eye[1], (x, y, eye)  # above the eye, below the brow
    assert region[round(0.79 * 48) - 3:, :].max() == 0  # nothing near the mouth, though it changed most
    assert region[:round(0.43 * 48)].max() == 0  # nothing above the brows

    side = 256
    crop = drawn_face(side)
    mask = EYE_SHADOW.mask(crop, region)
    eyes, brows = np.zeros((side, side), np.uint8), np.zeros((side, side), np.uint8)
    for eye in (EYE_LEFT, EYE_RIGHT):
        ellipse(eyes, eye, (0.045, 0.016), 1)
        ellipse(brows, (eye[0], 0.45), (0.06, 0.009), 1)
    inner = lambda m: cv2.erode(m, np.ones((3, 3), np.uint8)) > 0  # noqa: E731  (less the anti-aliased rim)
    assert mask[inner(eyes)].max() < 0.05 and mask[inner(brows)].max() < 0.05  # the eyes and brows stay bare
    lid = mask > 0.5
    assert lid.sum() > 150
    ys = np.nonzero(lid)[0] / side
    assert ys.min() > 0.45 and ys.max() < EYE_LEFT[1]  # on the lids: between the brows and the eyes


def test_blush_region_follows_the_model_onto_the_cheeks_and_mirrors_it():
    small = drawn_face(48)
    both = BLUSH.region(small, fake_makeup(48))
    for half, x_expected in zip(halves(both), (0.30, 0.69), strict=True):
        x, y = centroid(half)
        assert abs(x - x_expected) < 0.05 and 0.55 < y < 0.68, (x, y)  # below the eyes, above the mouth
    assert both[round(0.74 * 48):].max() == 0 and both[:round(0.53 * 48)].max() == 0  # not the mouth, not the eyes

    # the model marks only the right cheek, high and outside: the region is there, and mirrored on the left
    one = BLUSH.region(small, fake_makeup(48, lids=False, cheeks=(0.70,)))
    left, right = halves(one)
    assert left.max() > 0.8 and right.max() == 1.0
    assert centroid(right)[0] > centroid(halves(BLUSH.prior(48))[1])[0]  # pulled outwards, where the model marks
    assert centroid(left)[0] == pytest.approx(2 * EYE_CENTER[0] - centroid(right)[0], abs=0.01)  # the mirror image

    mask = BLUSH.mask(drawn_face(256), both)
    assert mask.max() == pytest.approx(1.0, abs=0.01)
    x, y = centroid(mask)
    assert abs(x - 0.5) < 0.03 and 0.56 < y < 0.68  # a pair, on the cheekbones
    assert mask[round(0.74 * 256):].max() < 0.05  # it fades out before the mouth


@pytest.mark.parametrize("product", [EYE_SHADOW, BLUSH], ids=["eye shadow", "blush"])
def test_without_a_mark_from_the_model_the_prior_is_the_region(product):
    """A user who asks for eye shadow or blush gets it where it goes on every face (the eyelid or cheekbone
    ellipses) when the model marks nothing there, rather than nothing at all; lipstick keeps painting nothing."""
    small = drawn_face(48)
    region = product.region(small, np.zeros((48, 48, 3), np.float32))
    assert np.array_equal(region, product.prior(48)) and region.max() > 0.5
    assert product.mask(drawn_face(256), region).max() > 0.9
    assert LIPSTICK.region(small, np.zeros((48, 48, 3), np.float32)).max() == 0


# ---- painting ----

def test_painting_changes_only_the_mask_and_moves_towards_the_shade_translucent_products_less():
    crop = np.full((64, 64, 3), SKIN, np.uint8)
    mask = np.zeros((64, 64), np.float32)
    mask[16:48, 16:48] = 1.0
    shade = parse_shade(TEAL)
    want = to_lab(np.array([[shade]], np.uint8))[0, 0, 1:]
    moved = {}
    for product in (LIPSTICK, EYE_SHADOW, BLUSH):
        change = product.change(crop, mask, shade)
        assert np.abs(change[mask == 0]).max() == 0
        after = np.clip(crop + change, 0, 255).astype(np.uint8)
        before_ab, after_ab = mean_ab(crop, mask > 0), mean_ab(after, mask > 0)
        moved[product.name] = 1 - np.linalg.norm(after_ab - want) / np.linalg.norm(before_ab - want)
        assert np.abs(product.change(crop, mask, shade, strength=0.0)).max() == 0
    assert 0.1 < moved["blush"] < moved["eye shadow"] < moved["lipstick"], moved


# ---- the real pipeline: shipped weights, the astronaut ----

def eye_boxes(photo: np.ndarray) -> list[tuple[float, float]]:
    return list(find_faces(photo)[0].eyes)


def test_eye_shadow_on_the_astronaut_is_on_her_lids_and_leaves_her_eyes(editor, astronaut):  # noqa: F811
    out = edit(editor, astronaut, eyes="on", eye_shade=TEAL)
    diff = np.abs(out.astype(int) - astronaut.astype(int)).max(axis=2)
    ys, xs = np.nonzero(diff)
    eyes = eye_boxes(astronaut)
    eye_y = min(y for _, y in eyes)
    assert xs.min() > eyes[0][0] - 25 and xs.max() < eyes[1][0] + 25  # around the eyes only
    assert ys.min() > eye_y - 20 and ys.max() < eye_y + 10
    painted = diff >= 0.5 * diff.max()
    assert painted.sum() > 60 and np.nonzero(painted)[0].max() < eye_y  # the colour is above the eyes
    want = to_lab(np.array([[parse_shade(TEAL)]], np.uint8))[0, 0, 1:]
    assert np.linalg.norm(mean_ab(out, painted) - want) < 0.8 * np.linalg.norm(mean_ab(astronaut, painted) - want)
    dark = to_lab(astronaut)[..., 0] < 100  # irises, pupils, lashes
    assert diff[dark].max() <= 8, diff[dark].max()


def test_blush_on_the_astronaut_is_a_soft_tint_of_her_cheeks(editor, astronaut):  # noqa: F811
    out = edit(editor, astronaut, blush="on", blush_shade="#ef7b69")
    diff = np.abs(out.astype(int) - astronaut.astype(int)).max(axis=2)
    ys, xs = np.nonzero(diff >= 3)
    eyes = eye_boxes(astronaut)
    x0, y0, x1, y1 = MOUTH
    assert ys.min() > max(y for _, y in eyes) and ys.max() < y1  # below the eyes, not below the mouth
    assert diff[y0:y1 + 1, x0:x1 + 1].max() < 3  # and not on the lips
    left, right = xs < (eyes[0][0] + eyes[1][0]) / 2, xs >= (eyes[0][0] + eyes[1][0]) / 2
    assert left.sum() > 200 and right.sum() > 200  # both cheeks
    assert 5 < diff.max() < 30  # a tint, not paint


def test_the_three_compose_each_in_its_own_place(editor, astronaut):  # noqa: F811
    """Lipstick over blush over eye shadow: each product's pixels are those it paints alone."""
    alone = {name: edit(editor, astronaut, **{name: "on"}) for name in ("lips", "eyes", "blush")}
    together = edit(editor, astronaut, lips="on", eyes="on", blush="on")
    for name, out in alone.items():
        own = (out != astronaut).any(axis=2)
        others = np.zeros(own.shape, bool)
        for other, o in alone.items():
            if other != name:
                others |= (o != astronaut).any(axis=2)
        only = own & ~others
        assert only.sum() > 100, name
        assert np.abs(together[only].astype(int) - out[only]).max() <= 1, name


# ---- the service's parameters ----

def test_shades_are_recorded_only_when_their_product_is_on_and_bad_ones_refused():
    schema = SERVICE.schema
    params = schema.resolve({"eyes": "on", "blush": "on", "eye_shade": "#ABC"})
    assert params["eye_shade"] == "#aabbcc" and params["blush_shade"] == "#f08ca0"  # the default blush, recorded
    assert "lip_shade" not in params and params["lips"] == "off"
    off = schema.resolve({"hair": "blond", "eye_shade": "#aabbcc", "blush_shade": "#aabbcc"})
    assert off["eyes"] == "off" and off["blush"] == "off" and "eye_shade" not in off and "blush_shade" not in off
    request = request_from_params(params)
    assert request.eyes == (170, 187, 204) and request.blush == (240, 140, 160) and request.lips is None
    assert list(request.cosmetics()) == ["blush", "eyes"]  # painted in this order (lipstick would be last)
    assert request_from_params(off).cosmetics() == {}
    for field, switch in (("eye_shade", "eyes"), ("blush_shade", "blush")):
        for bad in ("plum", "#12345", "", 7, "#6e3d63" * 40):
            with pytest.raises(ParamError) as err:
                schema.resolve({switch: "on", field: bad})
            assert err.value.field == field and "#rrggbb" in err.value.message and "6e3d63" not in err.value.message
    with pytest.raises(ParamError):
        schema.resolve({"eyes": "yes"})


@pytest.mark.parametrize("switch", ["eyes", "blush"])
def test_eye_shadow_or_blush_alone_is_a_change(astronaut, switch):
    inputs = SERVICE.prepare(SERVICE.schema.resolve({switch: "on"}), {"image": encode(astronaut)})
    assert inputs["face"] == 0
    with pytest.raises(ParamError) as err:
        SERVICE.prepare(SERVICE.schema.resolve({}), {"image": encode(astronaut)})
    assert "eye shadow, blush" in err.value.message


def test_api_lists_records_and_refuses_the_new_shades(client, api_headers, astronaut):
    services = client.get("/api/v1/services", headers=api_headers).get_json()
    listed = {p["name"]: p for p in next(s for s in services["services"] if s["name"] == "makeup")["params"]}
    for switch, field in (("eyes", "eye_shade"), ("blush", "blush_shade")):
        assert listed[switch]["choices"] == ["off", "on"] and listed[switch]["default"] == "off"
        assert listed[field]["type"] == "color" and listed[field]["when"] == {switch: ["on"]}

    response = post(client, api_headers, encode(astronaut), {"eyes": "on", "blush_shade": "peach", "blush": "on"})
    assert response.status_code == 422 and response.get_json()["field"] == "blush_shade"
    assert client.get("/api/v1/jobs", headers=api_headers).get_json()["jobs"] == []  # nothing was queued

    response = post(client, api_headers, encode(astronaut), {"eyes": "on", "eye_shade": "#4A4650", "blush": "on"})
    assert response.status_code == 202, response.get_json()
    job = wait_job(client, response.get_json()["url"], api_headers)
    assert job["status"] == "done", job
    assert job["params"]["eye_shade"] == "#4a4650" and job["params"]["blush_shade"] == "#f08ca0"
    assert job["params"]["lips"] == "off" and "lip_shade" not in job["params"]
    png = Image.open(io.BytesIO(client.get(job["images"][0]["url"], headers=api_headers).data))
    recorded = json.loads(png.text["genstudio"])["params"]
    assert recorded["eyes"] == "on" and recorded["eye_shade"] == "#4a4650" and recorded["blush_shade"] == "#f08ca0"
    assert 'eyes: "on", eye_shade: "#4a4650", blush: "on", blush_shade: "#f08ca0"' in png.text["parameters"]
