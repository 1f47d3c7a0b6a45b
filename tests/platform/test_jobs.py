"""Jobs: the pages' own routes (anonymous visitors), progress and previews, restarts, the runner."""

from __future__ import annotations

import time

from genstudio.db import DONE, FAILED, QUEUED, RUNNING, Image, Job
from genstudio.extensions import db, studio
from genstudio.jobs import execute_job

from ..conftest import csrf_token, login, wait_job


def post_job(client, body, token=None):
    token = token or csrf_token(client, "/toy/")
    return client.post("/jobs/", json=body, headers={"X-CSRFToken": token})


def test_anonymous_visitor_runs_a_job_in_their_session(app, client):
    response = post_job(client, {"service": "toy", "params": {"steps": 2}})
    assert response.status_code == 202
    job = wait_job(client, response.get_json()["url"])
    assert job["status"] == "done"
    image = job["images"][0]
    assert client.get(image["url"]).mimetype == "image/png"
    assert client.get(image["page"]).status_code == 200
    # another browser sees neither the job nor the image
    stranger = app.test_client()
    assert stranger.get(response.get_json()["url"]).status_code == 404
    assert stranger.get(image["url"]).status_code == 404
    assert stranger.get(image["page"]).status_code == 404
    # anonymous images are in nobody's gallery
    with app.app_context():
        row = db.session.get(Image, image["id"])
        assert row.user_id is None and row.session_key and not row.public


def test_page_routes_need_csrf(client):
    client.get("/toy/")
    assert client.post("/jobs/", json={"service": "toy"}).status_code == 400


def test_signing_up_keeps_what_the_visitor_made(app, client):
    job = wait_job(client, post_job(client, {"service": "toy", "params": {"steps": 1}}).get_json()["url"])
    token = csrf_token(client, "/auth/signup")
    response = client.post("/auth/signup", data={"username": "newbie", "password": "plum-tree-42",
                                                 "confirm": "plum-tree-42", "csrf_token": token})
    assert response.status_code == 302
    mine = client.get("/gallery/mine").get_data(as_text=True)
    assert job["images"][0]["id"] in mine


def test_progress_and_preview_are_reported(app, client):
    job = post_job(client, {"service": "toy", "params": {"steps": 40, "delay": 0.04}}).get_json()
    seen = set()
    preview = None
    while True:
        state = client.get(job["url"]).get_json()
        seen.add(round(state["progress"], 1))
        if state["preview_url"]:
            preview = client.get(state["preview_url"])
        if state["status"] in (DONE, FAILED):
            break
        time.sleep(0.05)
    assert state["status"] == DONE
    assert len(seen - {0.0, 1.0}) >= 2, seen  # intermediate values, not just start and end
    assert preview is not None and preview.mimetype == "image/png"
    assert state["preview_url"] is None  # no preview is advertised once the job is done
    from genstudio.jobs.maintenance import cleanup_previews

    with app.app_context():
        key = db.session.get(Job, job["id"]).preview_key
        assert key and studio(app).storage.exists(key)  # kept a little while for late fetches
        assert cleanup_previews(app, minutes=0) == 1
        assert not studio(app).storage.exists(key) and db.session.get(Job, job["id"]).preview_key is None


def test_queue_position_is_reported(make_app):
    app = make_app(JOB_WORKERS=1, MAX_ACTIVE_JOBS_PER_USER=5)
    client = app.test_client()
    token = csrf_token(client, "/toy/")
    slow = {"service": "toy", "params": {"steps": 20, "delay": 0.02}}
    jobs = [post_job(client, slow, token).get_json() for _ in range(3)]
    positions = [client.get(j["url"]).get_json()["position"] for j in jobs]
    assert positions[2] in (2, 3) and positions[1] in (1, 2)
    assert positions[2] == positions[1] + 1
    for j in jobs:
        wait_job(client, j["url"])


def test_cancel_queued_job_and_not_someone_elses(make_app):
    app = make_app(JOB_WORKERS=1, MAX_ACTIVE_JOBS_PER_USER=5)
    client = app.test_client()
    token = csrf_token(client, "/toy/")
    slow = {"service": "toy", "params": {"steps": 30, "delay": 0.03}}
    first = post_job(client, slow, token).get_json()
    second = post_job(client, slow, token).get_json()
    other = app.test_client()
    other_token = csrf_token(other, "/toy/")
    assert other.post(second["url"] + "/cancel", headers={"X-CSRFToken": other_token}).status_code == 404
    cancelled = client.post(second["url"] + "/cancel", headers={"X-CSRFToken": token}).get_json()
    assert cancelled["status"] == FAILED and cancelled["cancelled"]
    assert wait_job(client, first["url"])["status"] == DONE  # the other job was not disturbed
    assert client.get(second["url"]).get_json()["images"] == []


def test_restart_fails_interrupted_jobs(make_app):
    app = make_app(JOB_START=False)
    with app.app_context():
        for status in (QUEUED, RUNNING):
            db.session.add(Job(service="toy", model="toy-tiny", params={"seed": 1, "steps": 1}, status=status,
                               session_key="abc"))
        db.session.commit()
    studio(app).runner.start()
    with app.app_context():
        jobs = db.session.scalars(db.select(Job)).all()
        assert {j.status for j in jobs} == {FAILED}
        assert all("restarted" in j.error for j in jobs)


def test_restart_can_requeue_queued_jobs(make_app):
    app = make_app(JOB_START=False, JOB_REQUEUE_INTERRUPTED=True)
    params = {"seed": 1, "steps": 1, "count": 1, "delay": 0.0, "palette": "warm", "invert": False, "fail": False}
    with app.app_context():
        job = Job(service="toy", model="toy-tiny", params=params, status=QUEUED, session_key="abc")
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    studio(app).runner.start()
    deadline = time.monotonic() + 30
    with app.app_context():
        while time.monotonic() < deadline:
            db.session.expire_all()
            if db.session.get(Job, job_id).status == DONE:
                break
            time.sleep(0.05)
        assert db.session.get(Job, job_id).status == DONE
        assert len(db.session.get(Job, job_id).images) == 1


def test_execute_job_is_callable_by_any_runner(make_app):
    """The function a distributed runner will call: runs a queued job and never runs it twice."""
    app = make_app(JOB_START=False)
    params = {"seed": 9, "steps": 2, "count": 2, "delay": 0.0, "palette": "warm", "invert": True, "fail": False}
    with app.app_context():
        job = Job(service="toy", model="toy-tiny", params=params, session_key="k")
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    assert execute_job(app, job_id) == DONE
    assert execute_job(app, job_id) is None  # already claimed
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert [im.index for im in job.images] == [0, 1]
        for image in job.images:
            assert studio(app).storage.exists(image.storage_key)


def test_model_missing_job_fails_with_hint(make_app):
    app = make_app(JOB_START=False)
    with app.app_context():
        job = Job(service="toy", model="toy-absent", params={"seed": 1, "steps": 1}, session_key="k")
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    assert execute_job(app, job_id) == FAILED
    with app.app_context():
        assert "genstudio train toy" in db.session.get(Job, job_id).error


def test_logged_in_user_page_jobs_go_to_their_gallery(app, client, user):
    login(client, *user)
    job = wait_job(client, post_job(client, {"service": "toy", "params": {"steps": 1}}).get_json()["url"])
    with app.app_context():
        image = db.session.get(Image, job["images"][0]["id"])
        assert image.user.username == user[0] and image.session_key is None


def test_anonymous_images_are_cleaned_up_later(make_app):
    from genstudio.jobs.maintenance import cleanup_anonymous

    app = make_app(ANON_IMAGE_TTL_HOURS=0.0)
    anon = app.test_client()
    anon_job = wait_job(anon, post_job(anon, {"service": "toy", "params": {"steps": 1}}).get_json()["url"])
    from ..conftest import create_user, token_for

    create_user(app, "keeper", "password123")
    headers = {"Authorization": f"Bearer {token_for(app, 'keeper')}"}
    kept = app.test_client().post("/api/v1/jobs?wait=5", json={"service": "toy", "params": {"steps": 1}},
                                  headers=headers).get_json()
    with app.app_context():
        anon_key = db.session.get(Image, anon_job["images"][0]["id"]).storage_key
    assert cleanup_anonymous(app) == 1
    with app.app_context():
        assert db.session.get(Image, anon_job["images"][0]["id"]) is None
        assert db.session.get(Job, anon_job["id"]) is None
        assert not studio(app).storage.exists(anon_key)
        assert db.session.get(Image, kept["images"][0]["id"]) is not None
