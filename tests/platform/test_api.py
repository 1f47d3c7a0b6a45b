"""The JSON API contract (/api/v1) on the toy services: shapes, every error status, privacy, recipes."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from genstudio.recipes import read_recipe

from ..conftest import create_user, token_for, wait_job


def png_bytes(size=(40, 30), color=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def run_job(client, headers, params=None, service="toy", **extra) -> dict:
    response = client.post("/api/v1/jobs", json={"service": service, "params": params or {}, **extra},
                           headers=headers)
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert set(body) >= {"id", "status", "url"}
    return wait_job(client, body["url"], headers)


def test_services_lists_models_params_and_status(client, api_headers):
    body = client.get("/api/v1/services", headers=api_headers).get_json()
    toy = {s["name"]: s for s in body["services"]}["toy"]
    assert toy["status"] == "ready"
    assert [m["name"] for m in toy["models"]] == ["toy-tiny", "toy-absent"]
    assert {m["status"] for m in toy["models"]} == {"ready", "missing"}
    steps = {p["name"]: p for p in toy["params"]}["steps"]
    assert steps == {"name": "steps", "type": "int", "default": 4, "range": [1, 50], "help": ""}
    assert {p["name"]: p for p in toy["params"]}["palette"]["choices"] == ["warm", "cool"]


def test_job_runs_to_done_with_recipe_in_png(client, api_headers):
    job = run_job(client, api_headers, {"seed": 7, "count": 2, "steps": 2})
    assert job["status"] == "done" and job["progress"] == 1.0 and job["error"] is None
    assert [im["index"] for im in job["images"]] == [0, 1]
    response = client.get(job["images"][1]["url"], headers=api_headers)
    assert response.status_code == 200 and response.mimetype == "image/png"
    recipe = read_recipe(response.data)
    assert recipe["service"] == "toy" and recipe["model"] == "toy-tiny" and recipe["index"] == 1
    assert recipe["params"]["seed"] == 7 and recipe["params"]["steps"] == 2
    assert len(recipe["checkpoint"]) == 12 and recipe["extra"] == {"frame": 1}
    with Image.open(io.BytesIO(response.data)) as im:
        assert "toy / toy-tiny" in im.text["parameters"] and im.size == (64, 64)


def test_seed_is_drawn_recorded_and_reproducible(client, api_headers):
    first = run_job(client, api_headers, {"steps": 2})
    seed = first["params"]["seed"]
    assert isinstance(seed, int)
    again = run_job(client, api_headers, {"steps": 2, "seed": seed})
    other = run_job(client, api_headers, {"steps": 2, "seed": seed + 1})
    assert first["images"][0]["sha256"] == again["images"][0]["sha256"]
    assert first["images"][0]["sha256"] != other["images"][0]["sha256"]


def test_make_again_gives_identical_bytes(client, api_headers):
    job = run_job(client, api_headers, {"count": 3, "steps": 2, "palette": "cool"})
    original = job["images"][2]
    response = client.post(f"/api/v1/images/{original['id']}/again", headers=api_headers)
    assert response.status_code == 202
    remade = wait_job(client, response.get_json()["url"], api_headers)
    twin = [im for im in remade["images"] if im["index"] == 2][0]
    assert twin["id"] != original["id"]
    a = client.get(original["url"], headers=api_headers).data
    b = client.get(twin["url"], headers=api_headers).data
    assert a == b


def test_wait_answers_in_one_round_trip(client, api_headers):
    response = client.post("/api/v1/jobs?wait=5", json={"service": "toy", "params": {"steps": 1}},
                           headers=api_headers)
    assert response.status_code == 200
    assert response.get_json()["status"] == "done" and len(response.get_json()["images"]) == 1


def test_failed_job_says_why(client, api_headers):
    job = run_job(client, api_headers, {"fail": True})
    assert job["status"] == "failed"
    assert "asked to fail" in job["error"] and job["images"] == []


def test_upload_service_multipart(client, api_headers):
    data = {"service": "toyedit", "params": json.dumps({"seed": 3, "steps": 1}),
            "image": (io.BytesIO(png_bytes()), "face.png")}
    response = client.post("/api/v1/jobs", data=data, headers=api_headers, content_type="multipart/form-data")
    assert response.status_code == 202, response.get_json()
    job = wait_job(client, response.get_json()["url"], api_headers)
    assert job["status"] == "done"
    # make again reuses the stored upload and reproduces the bytes
    again = client.post(f"/api/v1/images/{job['images'][0]['id']}/again?wait=5", headers=api_headers).get_json()
    assert again["images"][0]["sha256"] == job["images"][0]["sha256"]


# ---- every error status ----

def test_401_without_or_with_bad_token(client):
    assert client.get("/api/v1/services").status_code == 401
    response = client.post("/api/v1/jobs", json={"service": "toy"}, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and "token" in response.get_json()["error"]


def test_400_malformed_json(client, api_headers):
    headers = {**api_headers, "Content-Type": "application/json"}
    response = client.post("/api/v1/jobs", data="{not json", headers=headers)
    assert response.status_code == 400 and "JSON" in response.get_json()["error"]


def test_404_unknown_service_job_and_image(client, api_headers):
    response = client.post("/api/v1/jobs", json={"service": "nope"}, headers=api_headers)
    assert response.status_code == 404 and "nope" in response.get_json()["error"]
    assert client.get("/api/v1/jobs/doesnotexist", headers=api_headers).status_code == 404
    assert client.get("/api/v1/images/doesnotexist", headers=api_headers).get_json() == {"error": "not found"}


@pytest.mark.parametrize(("body", "field"), [
    ({"params": {}}, "service"),
    ({"service": "toy", "params": {"steps": 500}}, "steps"),
    ({"service": "toy", "params": {"steps": "many"}}, "steps"),
    ({"service": "toy", "params": {"palette": "purple"}}, "palette"),
    ({"service": "toy", "params": {"colour": 1}}, "colour"),
    ({"service": "toy", "params": {"seed": -1}}, "seed"),
    ({"service": "toy", "params": [1, 2]}, "params"),
    ({"service": "toy", "model": "toy-unknown"}, "model"),
    ({"service": "toy", "wait": "soon"}, "wait"),
    ({"service": "toyedit", "params": {}}, "image"),
])
def test_422_names_the_field(client, api_headers, body, field):
    response = client.post("/api/v1/jobs", json=body, headers=api_headers)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["field"] == field and field in response.get_json()["error"]


def test_413_oversize_body(make_app, user):
    app = make_app(MAX_CONTENT_LENGTH=50_000)
    name, _ = create_user(app, "big", "password123")
    headers = {"Authorization": f"Bearer {token_for(app, name)}"}
    data = {"service": "toyedit", "params": "{}", "image": (io.BytesIO(b"\0" * 100_000), "big.png")}
    response = app.test_client().post("/api/v1/jobs", data=data, headers=headers, content_type="multipart/form-data")
    assert response.status_code == 413 and "error" in response.get_json()


def test_413_too_many_pixels(make_app):
    app = make_app(MAX_UPLOAD_PIXELS=100)
    create_user(app, "big", "password123")
    headers = {"Authorization": f"Bearer {token_for(app, 'big')}"}
    data = {"service": "toyedit", "params": "{}", "image": (io.BytesIO(png_bytes((20, 20))), "a.png")}
    response = app.test_client().post("/api/v1/jobs", data=data, headers=headers, content_type="multipart/form-data")
    assert response.status_code == 413 and "too large" in response.get_json()["error"]


def test_415_not_an_image_and_wrong_content_type(client, api_headers):
    data = {"service": "toyedit", "params": "{}", "image": (io.BytesIO(b"%PDF-1.4 not an image"), "a.pdf")}
    response = client.post("/api/v1/jobs", data=data, headers=api_headers, content_type="multipart/form-data")
    assert response.status_code == 415 and "not an image" in response.get_json()["error"]
    response = client.post("/api/v1/jobs", data="service=toy", headers={**api_headers, "Content-Type": "text/plain"})
    assert response.status_code == 415


def test_429_rate_limit_and_active_job_limit(make_app):
    app = make_app(JOB_RATE_LIMIT_USER="3 per minute")
    create_user(app, "eager", "password123")
    headers = {"Authorization": f"Bearer {token_for(app, 'eager')}"}
    client = app.test_client()
    responses = [client.post("/api/v1/jobs?wait=5", json={"service": "toy", "params": {"steps": 1}},
                             headers=headers) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert responses[3].headers["Retry-After"] == "60" and "too many requests" in responses[3].get_json()["error"]

    app = make_app(MAX_ACTIVE_JOBS_PER_USER=1)
    create_user(app, "busy", "password123")
    headers = {"Authorization": f"Bearer {token_for(app, 'busy')}"}
    client = app.test_client()
    slow = client.post("/api/v1/jobs", json={"service": "toy", "params": {"steps": 20, "delay": 0.05}},
                       headers=headers)
    assert slow.status_code == 202
    second = client.post("/api/v1/jobs", json={"service": "toy"}, headers=headers)
    assert second.status_code == 429 and "limit" in second.get_json()["error"]
    client.post(slow.get_json()["url"] + "/cancel", headers=headers)


def test_429_images_per_day(make_app):
    app = make_app(MAX_IMAGES_PER_DAY=3)
    create_user(app, "prolific", "password123")
    headers = {"Authorization": f"Bearer {token_for(app, 'prolific')}"}
    client = app.test_client()
    ok = client.post("/api/v1/jobs?wait=5", json={"service": "toy", "params": {"count": 2, "steps": 1}},
                     headers=headers)
    assert ok.status_code == 200
    over = client.post("/api/v1/jobs", json={"service": "toy", "params": {"count": 2}}, headers=headers)
    assert over.status_code == 429 and "daily" in over.get_json()["error"]


def test_503_model_missing_with_hint(client, api_headers):
    response = client.post("/api/v1/jobs", json={"service": "toy", "model": "toy-absent"}, headers=api_headers)
    assert response.status_code == 503
    assert "genstudio train toy" in response.get_json()["error"]


def test_503_queue_full_with_retry_after(make_app):
    app = make_app(JOB_QUEUE_SIZE=1, JOB_WORKERS=1, JOB_RETRY_AFTER=7, MAX_ACTIVE_JOBS_PER_USER=10)
    create_user(app, "crowd", "password123")
    headers = {"Authorization": f"Bearer {token_for(app, 'crowd')}"}
    client = app.test_client()
    slow = {"service": "toy", "params": {"steps": 40, "delay": 0.05}}
    first = client.post("/api/v1/jobs", json=slow, headers=headers).get_json()
    import time

    for _ in range(100):  # wait until the worker holds the first job, so the queue itself is empty
        if client.get(first["url"], headers=headers).get_json()["status"] == "running":
            break
        time.sleep(0.02)
    assert client.post("/api/v1/jobs", json=slow, headers=headers).status_code == 202  # fills the queue
    full = client.post("/api/v1/jobs", json=slow, headers=headers)
    assert full.status_code == 503 and full.headers["Retry-After"] == "7"
    assert "queue" in full.get_json()["error"]


# ---- privacy ----

def test_private_images_and_other_users_jobs_are_404(app, client, api_headers):
    job = run_job(client, api_headers, {"steps": 1})
    image_url = job["images"][0]["url"]
    create_user(app, "mallory", "password123")
    other = {"Authorization": f"Bearer {token_for(app, 'mallory')}"}
    assert client.get(image_url, headers=other).status_code == 404
    assert client.get(job["url"], headers=other).status_code == 404
    assert client.post(job["url"] + "/cancel", headers=other).status_code == 404
    assert client.post(f"/api/v1/images/{job['images'][0]['id']}/again", headers=other).status_code == 404
    # once shared, anyone with a token can read it, but its owner's other images stay private
    from genstudio.db import Image as ImageRow
    from genstudio.extensions import db

    with app.app_context():
        db.session.get(ImageRow, job["images"][0]["id"]).public = True
        db.session.commit()
    assert client.get(image_url, headers=other).status_code == 200


def test_cancel_own_running_job(client, api_headers):
    job = client.post("/api/v1/jobs", json={"service": "toy", "params": {"steps": 50, "delay": 0.05}},
                      headers=api_headers).get_json()
    import time

    for _ in range(200):
        state = client.get(job["url"], headers=api_headers).get_json()
        if state["status"] == "running" and state["progress"] > 0:
            break
        time.sleep(0.02)
    assert state["preview_url"] and client.get(state["preview_url"], headers=api_headers).mimetype == "image/png"
    assert client.delete(job["url"], headers=api_headers).status_code == 200
    final = wait_job(client, job["url"], api_headers)
    assert final["status"] == "failed" and final["cancelled"] and final["error"] == "Cancelled."
    assert final["progress"] < 1.0 and final["images"] == []


def test_session_auth_needs_csrf_for_writes(app, client, user):
    from ..conftest import csrf_token, login

    login(client, *user)
    assert client.get("/api/v1/services").status_code == 200
    assert client.post("/api/v1/jobs", json={"service": "toy"}).status_code == 400  # no CSRF token
    token = csrf_token(client, "/")
    response = client.post("/api/v1/jobs", json={"service": "toy"}, headers={"X-CSRFToken": token})
    assert response.status_code == 202


def test_429_per_ip_across_users_and_anonymous(make_app):
    app = make_app(JOB_RATE_LIMIT_IP="3 per minute", MAX_ACTIVE_JOBS_PER_USER=10)
    client = app.test_client()
    codes = []
    for name in ("ip1", "ip2"):
        create_user(app, name, "password123")
        headers = {"Authorization": f"Bearer {token_for(app, name)}"}
        codes += [client.post("/api/v1/jobs", json={"service": "toy", "params": {"steps": 1}}, headers=headers)
                  .status_code for _ in range(2)]
    assert codes == [202, 202, 202, 429]


def test_413_oversize_json_body(make_app):
    app = make_app(MAX_CONTENT_LENGTH=2_000)
    create_user(app, "chatty", "password123")
    headers = {"Authorization": f"Bearer {token_for(app, 'chatty')}"}
    body = {"service": "toy", "params": {"note": "x" * 5_000}}
    response = app.test_client().post("/api/v1/jobs", json=body, headers=headers)
    assert response.status_code == 413 and response.get_json() == {"error": "the request is too large"}
