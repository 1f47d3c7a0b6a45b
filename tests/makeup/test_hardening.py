"""The makeup endpoints under concurrent and hostile uploads (issue 15): photos of different sizes posted at once
all succeed, degenerate strips are a clear 422, and /makeup/faces answers JSON errors to its JSON clients."""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest
from PIL import Image

from ..conftest import create_user, csrf_token, token_for, wait_job
from .conftest import encode
from .test_concurrency import SCALES


def photo_files(astronaut: np.ndarray) -> list[bytes]:
    return [encode(cv2.resize(astronaut, None, fx=s, fy=s, interpolation=cv2.INTER_AREA), "JPEG", quality=85)
            for s in SCALES]


def strip_png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (width, height), 128).save(buf, format="PNG", compress_level=9)
    return buf.getvalue()


def test_concurrent_face_checks_of_different_photos_all_succeed(app, astronaut):
    files = photo_files(astronaut) * 2

    def check(data: bytes) -> tuple[int, int]:
        client = app.test_client()
        token = csrf_token(client, "/makeup/")
        response = client.post("/makeup/faces", data={"image": (io.BytesIO(data), "me.jpg")},
                               headers={"X-CSRFToken": token}, content_type="multipart/form-data")
        return response.status_code, len((response.get_json() or {}).get("faces", []))

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(check, files))
    assert results == [(200, 1)] * len(files)


def test_concurrent_makeup_jobs_all_run(make_app, astronaut):
    app = make_app(MAX_ACTIVE_JOBS_PER_USER=20, JOB_WORKERS=2)
    create_user(app, "crowd", "correct horse battery")
    headers = {"Authorization": f"Bearer {token_for(app, 'crowd')}"}

    def submit(data: bytes) -> dict:
        client = app.test_client()
        response = client.post("/api/v1/jobs", data={"service": "makeup", "params": json.dumps({"hair": "blond"}),
                                                     "image": (io.BytesIO(data), "me.jpg")},
                               headers=headers, content_type="multipart/form-data")
        assert response.status_code == 202, response.get_json()
        return wait_job(client, response.get_json()["url"], headers, timeout=120)

    with ThreadPoolExecutor(max_workers=6) as pool:
        jobs = list(pool.map(submit, photo_files(astronaut)))
    assert [job["status"] for job in jobs] == ["done"] * len(jobs), [job["error"] for job in jobs]


@pytest.fixture(scope="module")
def strips() -> dict[str, bytes]:
    return {"2000x1": strip_png(2000, 1), "40000000x1": strip_png(40_000_000, 1), "5000x30": strip_png(5000, 30)}


@pytest.mark.parametrize("name", ["2000x1", "40000000x1", "5000x30"])
def test_degenerate_strips_are_a_clear_422(client, api_headers, strips, name):
    response = client.post("/api/v1/jobs", data={"service": "makeup", "params": '{"hair": "blond"}',
                                                 "image": (io.BytesIO(strips[name]), "strip.png")},
                           headers=api_headers, content_type="multipart/form-data")
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert response.get_json()["field"] == "image" and "small" in response.get_json()["error"]
    token = csrf_token(client, "/makeup/")
    response = client.post("/makeup/faces", data={"image": (io.BytesIO(strips[name]), "strip.png")},
                           headers={"X-CSRFToken": token}, content_type="multipart/form-data")
    assert response.status_code == 422 and response.get_json()["field"] == "image"


def test_a_strip_that_downscales_below_a_face_is_refused(client, api_headers):
    wide = strip_png(60_000, 50)  # 50 px tall is enough from the header, but not once scaled to 4096 px wide
    response = client.post("/api/v1/jobs", data={"service": "makeup", "params": '{"hair": "blond"}',
                                                 "image": (io.BytesIO(wide), "strip.png")},
                           headers=api_headers, content_type="multipart/form-data")
    assert response.status_code == 422 and "narrow" in response.get_json()["error"]


def test_faces_endpoint_errors_are_json_for_any_client(make_app, astronaut):
    app = make_app(MAX_CONTENT_LENGTH=20_000)
    client = app.test_client()
    no_csrf = client.post("/makeup/faces", data={"image": (io.BytesIO(b"x"), "a.png")},
                          headers={"Accept": "*/*"}, content_type="multipart/form-data")
    assert no_csrf.status_code == 400 and "CSRF" in no_csrf.get_json()["error"]
    token = csrf_token(client, "/makeup/")
    big = client.post("/makeup/faces", data={"image": (io.BytesIO(encode(astronaut)), "a.png")},
                      headers={"X-CSRFToken": token, "Accept": "*/*"}, content_type="multipart/form-data")
    assert big.status_code == 413 and big.get_json()["error"]
    codes = [client.post("/makeup/faces", data={"image": (io.BytesIO(b"nope"), "a.txt")},
                         headers={"X-CSRFToken": token}, content_type="multipart/form-data").status_code
             for _ in range(61)]
    assert codes[-1] == 429
    limited = client.post("/makeup/faces", data={}, headers={"X-CSRFToken": token, "Accept": "*/*"},
                          content_type="multipart/form-data")
    assert limited.status_code == 429 and limited.get_json()["error"] and limited.headers["Retry-After"]
