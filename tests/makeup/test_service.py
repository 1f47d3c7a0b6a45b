"""The makeup service through prepare() and the jobs API: contract, paste-back on a real photo, and every
kind of bad input refused before a job exists, with a clear message and status."""

from __future__ import annotations

import io
import json
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from genstudio.errors import InputError, ParamError
from genstudio.services.makeup import SERVICE

from ..conftest import create_user, login, token_for, wait_job
from .conftest import encode


def prepare(data: bytes, **params):
    return SERVICE.prepare(SERVICE.schema.resolve({"hair": "blond", **params}), {"image": data})


def post(client, headers, data: bytes, params: dict | None = None, name: str = "photo.png"):
    body = {"service": "makeup", "params": json.dumps({"hair": "blond"} if params is None else params),
            "image": (io.BytesIO(data), name)}
    return client.post("/api/v1/jobs", data=body, headers=headers, content_type="multipart/form-data")


def decompression_bomb_png(side: int = 30_000) -> bytes:
    """A tiny PNG file that claims side x side pixels (a few hundred bytes, ~2.7 GB decoded)."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (len(payload).to_bytes(4, "big") + kind + payload
                + zlib.crc32(kind + payload).to_bytes(4, "big"))
    header = side.to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    rows = zlib.compress(b"\x00" * (side * 3 + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


# ---- prepare(): checks before any job ----

def test_prepare_finds_the_face_and_keeps_the_photo(astronaut):
    inputs = prepare(encode(astronaut))
    assert inputs["face"] == 0 and len(inputs["faces"]) == 1 and inputs["faces"][0]["eyes"]
    assert inputs["photo"].size == (512, 512)


@pytest.mark.parametrize("data,status,words", [
    (b"hello, I am not a picture", 415, "not an image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, 415, "not an image"),  # PNG signature, garbage after it
    (b"", 422, "empty"),
])
def test_not_an_image(data, status, words):
    with pytest.raises(InputError) as err:
        prepare(data)
    assert err.value.status == status and words in err.value.message


def test_truncated_jpeg(astronaut):
    data = encode(astronaut, "JPEG", quality=90)
    with pytest.raises(InputError) as err:
        prepare(data[: len(data) // 2])
    assert err.value.status == 422 and "could not be read" in err.value.message


def test_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(InputError) as err:
        prepare(decompression_bomb_png())
    assert err.value.status == 413


def test_no_face(astronaut):
    from skimage import data

    with pytest.raises(InputError) as err:
        prepare(encode(data.coffee()))
    assert err.value.status == 422 and "No face" in err.value.message


def test_tiny_face_is_named(astronaut):
    small = cv2.resize(astronaut, (160, 160), interpolation=cv2.INTER_AREA)  # the face is ~30 px wide
    with pytest.raises(InputError) as err:
        prepare(encode(small))
    assert err.value.status == 422 and "too small" in err.value.message


def test_nothing_requested_and_bad_face_index(astronaut):
    with pytest.raises(ParamError) as err:
        SERVICE.prepare(SERVICE.schema.resolve({}), {"image": encode(astronaut)})
    assert err.value.field == "hair"
    with pytest.raises(ParamError) as err:
        prepare(encode(astronaut), face=3)
    assert err.value.field == "face" and "1 face" in err.value.message
    with pytest.raises(ParamError):
        SERVICE.schema.resolve({"hair": "purple"})
    with pytest.raises(ParamError):
        SERVICE.schema.resolve({"strength": 1.5})


# ---- the jobs API ----

def test_api_contract_and_paste_back(app, client, api_headers, astronaut):
    services = client.get("/api/v1/services", headers=api_headers).get_json()
    makeup = next(s for s in services["services"] if s["name"] == "makeup")
    names = {p["name"]: p for p in makeup["params"]}
    assert names["hair"]["choices"] == ["keep", "black", "blond", "brown", "gray"]
    assert set(names) == {"hair", "makeup", "gender", "age", "lips", "lip_shade", "eyes", "eye_shade", "blush",
                          "blush_shade", "strength", "face"}
    assert names["lip_shade"]["type"] == "color" and names["lip_shade"]["when"] == {"lips": ["on"]}

    photo = np.ascontiguousarray(np.pad(astronaut, ((40, 40), (100, 100), (0, 0)), mode="edge"))  # 712 x 592
    response = post(client, api_headers, encode(photo), {"hair": "blond", "age": "old", "strength": 0.8})
    assert response.status_code == 202, response.get_json()
    job = wait_job(client, response.get_json()["url"], api_headers)
    assert job["status"] == "done", job
    image = job["images"][0]
    assert (image["width"], image["height"]) == (712, 592)  # the photo's own resolution
    result = np.asarray(Image.open(io.BytesIO(client.get(image["url"], headers=api_headers).data)).convert("RGB"))
    changed = (result != photo).any(axis=2)
    assert changed.any(), "the edit changed nothing"
    ys, xs = np.nonzero(changed)
    recipe = client.get(f"/api/v1/images/{image['id']}/recipe", headers=api_headers).get_json()["recipe"]
    x0, y0, w, h = recipe["extra"]["face_box"]
    # everything changed lies around the face (the aligned crop spans ~1.7 face boxes), nothing elsewhere
    cx, cy = x0 + w / 2, y0 + h / 2
    assert np.abs(xs - cx).max() < 1.3 * w and np.abs(ys - cy).max() < 1.3 * h
    assert (result[:40] == photo[:40]).all() and (result[:, -100:] == photo[:, -100:]).all()
    assert recipe["service"] == "makeup" and recipe["params"]["hair"] == "blond"
    assert recipe["params"]["strength"] == 0.8
    assert recipe["extra"]["target"]["Blond_Hair"] == 1.0 and recipe["extra"]["target"]["Young"] == 0.0
    assert set(recipe["extra"]["source_attributes"]) == {"Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair",
                                                         "Heavy_Makeup", "Male", "Young"}


def test_strength_zero_returns_the_photo(client, api_headers, astronaut):
    response = post(client, api_headers, encode(astronaut), {"hair": "black", "strength": 0})
    job = wait_job(client, response.get_json()["url"], api_headers)
    result = np.asarray(Image.open(io.BytesIO(client.get(job["images"][0]["url"], headers=api_headers).data)))
    assert np.array_equal(result[..., :3], astronaut)


@pytest.mark.parametrize("case", ["text", "truncated", "bomb", "no_face", "face_index", "nothing"])
def test_api_bad_input_creates_no_job(client, api_headers, astronaut, case):
    from skimage import data

    jpeg = encode(astronaut, "JPEG")
    body, params, status, field = {
        "text": (b"plain text", None, 415, "image"),
        "truncated": (jpeg[: len(jpeg) // 3], None, 422, "image"),
        "bomb": (decompression_bomb_png(), None, 413, "image"),
        "no_face": (encode(data.coffee()), None, 422, "image"),
        "face_index": (jpeg, {"hair": "gray", "face": 5}, 422, "face"),
        "nothing": (jpeg, {"hair": "keep"}, 422, "hair"),
    }[case]
    response = post(client, api_headers, body, params)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["field"] == field and response.get_json()["error"]
    assert client.get("/api/v1/jobs", headers=api_headers).get_json()["jobs"] == []


def test_faces_endpoint_and_page(app, client, astronaut):
    page = client.get("/makeup/")
    assert page.status_code == 200 and b"makeup.js" in page.data and b"before-after" in page.data
    from ..conftest import csrf_token

    token = csrf_token(client, "/makeup/")
    canvas = np.full((600, 900, 3), 90, np.uint8)
    canvas[44:556, 20:532] = astronaut
    canvas[200:456, 600:856] = cv2.resize(astronaut, (256, 256), interpolation=cv2.INTER_AREA)
    response = client.post("/makeup/faces", data={"image": (io.BytesIO(encode(canvas)), "two.png")},
                           headers={"X-CSRFToken": token}, content_type="multipart/form-data")
    info = response.get_json()
    assert response.status_code == 200, info
    assert (info["width"], info["height"]) == (900, 600) and len(info["faces"]) == 2
    big, small = info["faces"]
    assert big["size"] > small["size"] and big["box"][0] < 0.5 < small["box"][0]
    assert all(0 <= v <= 1.2 for v in big["box"])
    response = client.post("/makeup/faces", data={"image": (io.BytesIO(b"nope"), "x.txt")},
                           headers={"X-CSRFToken": token}, content_type="multipart/form-data")
    assert response.status_code == 415


def test_uploaded_photo_is_private(app, client, astronaut):
    create_user(app, "other", "another long password")
    owner_headers = {"Authorization": f"Bearer {token_for(app, create_user(app, 'owner', 'a long password!')[0])}"}
    other_headers = {"Authorization": f"Bearer {token_for(app, 'other')}"}
    job = wait_job(client, post(client, owner_headers, encode(astronaut)).get_json()["url"], owner_headers)
    image_id = job["images"][0]["id"]
    assert client.get(f"/api/v1/images/{image_id}", headers=owner_headers).status_code == 200
    assert client.get(f"/api/v1/images/{image_id}", headers=other_headers).status_code == 404
    assert client.get(job["url"], headers=other_headers).status_code == 404
    login(client, "other", "another long password")
    assert client.get(f"/gallery/image/{image_id}").status_code == 404


def test_uploaded_photo_is_deleted_with_the_account(app, client, astronaut):
    from genstudio.db import Job, User
    from genstudio.extensions import db, studio
    from genstudio.web.auth import delete_user

    name, _ = create_user(app, "leaver", "a long enough password")
    headers = {"Authorization": f"Bearer {token_for(app, name)}"}
    job = wait_job(client, post(client, headers, encode(astronaut)).get_json()["url"], headers)
    with app.app_context():
        row = db.session.get(Job, job["id"])
        keys = [entry["key"] for entry in row.inputs.values() if "key" in entry]
        storage = studio().storage
        assert keys and all(storage.exists(k) for k in keys)  # the photo was stored, privately, for the job
        delete_user(User.by_name(name))
        assert not any(storage.exists(k) for k in keys)


def test_missing_weights_say_how_to_train(app, client, api_headers, astronaut, tmp_path, monkeypatch):
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(tmp_path / "empty"))
    page = client.get("/makeup/").get_data(as_text=True)
    assert "Model not installed" in page and "genstudio train makeup --config configs/makeup-cpu.yaml" in page
    response = post(client, api_headers, encode(astronaut))
    assert response.status_code == 503 and "genstudio train makeup" in response.get_json()["error"]


def test_landing_card_shows_a_before_after_drawn_by_the_model(app, client):
    from pathlib import Path

    html = client.get("/").get_data(as_text=True)
    assert 'src="/examples/makeup.png"' in html  # a picture, not the logo placeholder
    response = client.get("/examples/makeup.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    picture = Image.open(io.BytesIO(response.data))
    assert abs(picture.width / picture.height - 4 / 3) < 0.05
    left, right = picture.crop((0, 0, 240, 360)), picture.crop((244, 0, 484, 360))
    assert left.tobytes() != right.tobytes()  # after differs from before
    cached = list((Path(app.instance_path) / "examples").glob("makeup-*.png"))
    assert len(cached) == 1  # drawn once per checkpoint, then served from the instance folder
    assert client.get("/examples/makeup.png").data == response.data
