"""Lipstick: the lips are found from the trained model's makeup edit (genstudio.faces.lips), the user picks the
shade. Checks with the shipped makeup-stargan48 (a 3.7 MB file in weights/: a random generator marks no lips)
on scikit-image's astronaut, and on held-out CelebA faces read at test time when the shared datasets are there;
the service's shade parameter through the jobs API with the tiny weights."""

from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from genstudio.errors import ParamError
from genstudio.faces.lips import lip_mask, lip_region, lipstick_change, mouth_prior, parse_shade
from genstudio.faces.recolor import to_lab
from genstudio.services.makeup import SERVICE
from genstudio.services.makeup.pipeline import MakeupPipeline, request_from_params
from genstudio.stargan.editor import StarGanEditor
from genstudio.stargan.photo import crop_tensor, find_faces, makeup_change, model_crop
from genstudio.weights import REPO_WEIGHTS

from ..conftest import wait_job
from .conftest import encode

# the astronaut's lips, measured by eye on the photo: corners at x 203 and 246, upper edge y 139, lower y 154
MOUTH = (203, 139, 246, 154)
DATA = Path(os.environ.get("GENSTUDIO_DATA", Path(__file__).resolve().parents[3] / "shared" / "datasets"))
VIOLET = "#6a3d9a"  # far in hue from any lips: the change towards it cannot be the lips' own colour


@pytest.fixture(scope="module")
def editor() -> StarGanEditor:
    with pytest.MonkeyPatch.context() as mp:  # the shipped weights, wherever GENSTUDIO_WEIGHTS points
        mp.setenv("GENSTUDIO_WEIGHTS", str(REPO_WEIGHTS))
        return StarGanEditor.from_weights("makeup-stargan48")


def edit(editor: StarGanEditor, photo: np.ndarray, **params) -> np.ndarray:
    resolved = SERVICE.schema.resolve(params)
    inputs = SERVICE.prepare(resolved, {"image": encode(photo)})
    return np.asarray(MakeupPipeline(editor).generate(resolved, inputs)[0].image)


def region_of(editor: StarGanEditor, photo: np.ndarray):
    face = find_faces(photo)[0]
    x, _, alignment = crop_tensor(photo, face, editor.size)
    c_src = editor.source_labels(editor.source_probabilities(x))
    return lip_region(model_crop(x), makeup_change(editor, x, c_src)), alignment


def mean_ab(photo: np.ndarray, where: np.ndarray) -> np.ndarray:
    return to_lab(photo)[where][:, 1:].mean(axis=0) - 128.0


def hue(ab: np.ndarray) -> float:
    return math.degrees(math.atan2(ab[1], ab[0]))


def test_shades_are_parsed_and_bad_ones_refused():
    assert parse_shade("#b3202e") == (179, 32, 46) and parse_shade("ABC") == (170, 187, 204)
    for bad in ("red", "#12345", "#gggggg", "#b3202e00", "", "#", 12):
        with pytest.raises(ValueError):
            parse_shade(bad)
    schema = SERVICE.schema
    assert schema.resolve({"lips": "on", "lip_shade": "#ABC"})["lip_shade"] == "#aabbcc"
    assert schema.resolve({"lips": "on"})["lip_shade"] == "#b3202e"  # the default shade, recorded
    assert "lip_shade" not in schema.resolve({"hair": "blond", "lip_shade": "#aabbcc"})  # lips off: not recorded
    for bad in ("red", "#12345", "#gggggg", "b3202e", " ", 12, ["#b3202e"], "#b3202e;" + "x" * 500):
        with pytest.raises(ParamError) as err:
            schema.resolve({"lips": "on", "lip_shade": bad})
        assert err.value.field == "lip_shade" and "#rrggbb" in err.value.message
        assert "xxxx" not in err.value.message  # the value is not echoed
    assert request_from_params(schema.resolve({"lips": "on", "lip_shade": "#102030"})).lips == (16, 32, 48)
    assert request_from_params(schema.resolve({"hair": "blond"})).lips is None


def test_the_learned_lip_region_is_the_astronauts_mouth(editor, astronaut):
    region, alignment = region_of(editor, astronaut)
    assert region.max() == 1.0
    ys, xs = np.nonzero(region > 0.5)
    inv = cv2.invertAffineTransform(alignment.matrix)
    pts = np.stack([xs + 0.5, ys + 0.5, np.ones_like(xs, dtype=float)], 1) @ inv.T  # into the photo
    x0, y0, x1, y1 = MOUTH
    centre = pts.mean(axis=0)
    assert x0 < centre[0] < x1 and y0 - 3 < centre[1] < y1 + 6, centre
    assert pts[:, 0].min() > x0 - 10 and pts[:, 0].max() < x1 + 10 and pts[:, 1].min() > y0 - 10, pts
    assert (region[mouth_prior(region.shape[0]) == 0] == 0).all()  # never outside the mouth area


@pytest.mark.skipif(not (DATA / "celeba" / "images").is_dir(), reason="needs ../shared/datasets/celeba")
def test_the_learned_lip_region_is_the_mouth_of_held_out_faces(editor):
    """Held-out CelebA faces (aligned crops, read at test time): the region sits in the lower middle, where the
    lips are, and what lip_mask keeps of it at 256 px is redder than the skin around it."""
    from genstudio.data.celeba import load_celeba
    from genstudio.imaging import uint8_to_tensor

    val = load_celeba(DATA, 128, "val")
    redder = 0
    picks = np.linspace(0, len(val.images) - 1, 12).astype(int)
    for i in picks:
        crop = val.images[i]
        small = cv2.resize(crop, (editor.size, editor.size), interpolation=cv2.INTER_AREA)
        x = uint8_to_tensor(small[None])
        c_src = editor.source_labels(editor.source_probabilities(x))
        region = lip_region(small, makeup_change(editor, x, c_src))
        assert region.max() > 0, i
        ys, xs = np.nonzero(region)
        w = region[ys, xs]
        cx, cy = ((xs + 0.5) * w).sum() / w.sum() / editor.size, ((ys + 0.5) * w).sum() / w.sum() / editor.size
        assert 0.40 < cx < 0.60 and 0.72 < cy < 0.86, (i, cx, cy)
        big = cv2.resize(crop, (256, 256), interpolation=cv2.INTER_CUBIC)
        lips = lip_mask(big, region) > 0.5
        skin = (mouth_prior(256) > 0.5) & ~(cv2.dilate(lips.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0)
        a = to_lab(big)[..., 1]
        redder += bool(lips.any() and a[lips].mean() > a[skin].mean() + 2)
    assert redder >= 10, redder


@pytest.mark.parametrize("shade", ["#b3202e", VIOLET])
def test_the_shade_paints_the_lips_and_nothing_far_from_them(editor, astronaut, shade):
    out = edit(editor, astronaut, lips="on", lip_shade=shade)
    diff = np.abs(out.astype(int) - astronaut.astype(int)).max(axis=2)
    ys, xs = np.nonzero(diff)
    x0, y0, x1, y1 = MOUTH
    # every change is on or right around the lips (a few px of feathering): the eyes, cheeks, hair are untouched
    assert xs.min() >= x0 - 6 and xs.max() <= x1 + 6 and ys.min() >= y0 - 6 and ys.max() <= y1 + 20
    painted = diff >= 40  # the lips' core (their thin edges are feathered)
    assert painted.sum() > 150  # the lips are about 40 x 15 px, less the teeth
    want = mean_ab(np.full((1, 1, 3), parse_shade(shade), np.uint8), np.ones((1, 1), bool))
    before, after = mean_ab(astronaut, painted), mean_ab(out, painted)
    assert np.linalg.norm(after - want) < 0.45 * np.linalg.norm(before - want), (before, after, want)
    assert abs((hue(after) - hue(want) + 180) % 360 - 180) < 20, (hue(after), hue(want))
    white = np.zeros(diff.shape, np.uint8)  # the teeth: white pixels in the mouth, less their 1 px rim
    lab = to_lab(astronaut)[y0:y1 + 1, x0:x1 + 1]
    white[y0:y1 + 1, x0:x1 + 1] = (lab[..., 0] > 195) & (lab[..., 1] < 137)
    teeth = cv2.erode(white, np.ones((3, 3), np.uint8)) > 0
    assert teeth.sum() > 30 and diff[teeth].max() < 15, (teeth.sum(), diff[teeth].max())  # teeth are not lips


def test_strength_scales_the_lipstick_and_zero_changes_nothing(editor, astronaut):
    full = edit(editor, astronaut, lips="on", lip_shade=VIOLET)
    half = edit(editor, astronaut, lips="on", lip_shade=VIOLET, strength=0.5)
    none = edit(editor, astronaut, lips="on", lip_shade=VIOLET, strength=0.0)
    assert np.array_equal(none, astronaut)
    d_full = np.abs(full.astype(int) - astronaut).sum()
    d_half = np.abs(half.astype(int) - astronaut).sum()
    assert 0.3 * d_full < d_half < 0.7 * d_full


@pytest.mark.parametrize("others", [{"hair": "blond", "makeup": "add"}, {"gender": "male", "age": "old"}])
def test_lipstick_composes_with_the_other_edits(editor, astronaut, others):
    """The other edits are made as without lipstick (the hair, the rest of the face), and the lips end up in
    the shade, painted over whatever the model did to them."""
    plain = edit(editor, astronaut, **others)
    both = edit(editor, astronaut, lips="on", lip_shade=VIOLET, **others)
    x0, y0, x1, y1 = MOUTH
    away = np.ones(astronaut.shape[:2], bool)
    away[y0 - 8:y1 + 22, x0 - 8:x1 + 8] = False
    assert np.array_equal(both[away], plain[away])  # lipstick touches nothing but the mouth
    assert (plain != astronaut).any()  # the other edits did happen
    painted = np.abs(both.astype(int) - plain.astype(int)).max(axis=2) >= 40
    assert painted.sum() > 150
    want = mean_ab(np.full((1, 1, 3), parse_shade(VIOLET), np.uint8), np.ones((1, 1), bool))
    assert np.linalg.norm(mean_ab(both, painted) - want) < 0.45 * np.linalg.norm(mean_ab(plain, painted) - want)


def test_no_lips_without_a_makeup_signal():
    """A model whose makeup edit changes nothing marks no lips: lipstick then changes nothing at all."""
    crop = np.full((48, 48, 3), 150, np.uint8)
    assert lip_region(crop, np.zeros((48, 48, 3), np.float32)).max() == 0
    assert lip_mask(np.full((256, 256, 3), 150, np.uint8), np.zeros((48, 48), np.float32)).max() == 0
    assert np.abs(lipstick_change(crop, np.zeros((48, 48), np.float32), (200, 0, 0))).max() == 0


# ---- the service's parameters through the jobs API (tiny weights) ----

def post(client, headers, data: bytes, params: dict):
    body = {"service": "makeup", "params": json.dumps(params), "image": (io.BytesIO(data), "photo.png")}
    return client.post("/api/v1/jobs", data=body, headers=headers, content_type="multipart/form-data")


@pytest.mark.parametrize("shade", ["crimson", "#12345", "#gggggg", "", 123, "#b3202e" * 40])
def test_api_refuses_a_bad_shade_and_creates_no_job(client, api_headers, astronaut, shade):
    response = post(client, api_headers, encode(astronaut), {"lips": "on", "lip_shade": shade})
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["field"] == "lip_shade" and "#rrggbb" in body["error"]
    assert client.get("/api/v1/jobs", headers=api_headers).get_json()["jobs"] == []


def test_api_lipstick_alone_is_a_change_and_its_shade_is_in_the_recipe_and_the_png(client, api_headers, astronaut):
    response = post(client, api_headers, encode(astronaut), {"lips": "on", "lip_shade": "#A3c"})
    assert response.status_code == 202, response.get_json()
    job = wait_job(client, response.get_json()["url"], api_headers)
    assert job["status"] == "done", job
    assert job["params"]["lips"] == "on" and job["params"]["lip_shade"] == "#aa33cc"
    png = Image.open(io.BytesIO(client.get(job["images"][0]["url"], headers=api_headers).data))
    recorded = json.loads(png.text["genstudio"])
    assert recorded["params"]["lips"] == "on" and recorded["params"]["lip_shade"] == "#aa33cc"
    assert 'lips: "on", lip_shade: "#aa33cc"' in png.text["parameters"]
    # without lipstick the shade is neither used nor recorded
    response = post(client, api_headers, encode(astronaut), {"hair": "gray", "lip_shade": "#aa33cc"})
    job = wait_job(client, response.get_json()["url"], api_headers)
    assert "lip_shade" not in job["params"] and job["params"]["lips"] == "off"
