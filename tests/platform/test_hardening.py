"""Hostile input and limits that hold (issue 15), on the toy services: every case is a clear 4xx (never a 500 or
a failed job), anonymous work is limited per client address, uploads are decoded once and only where declared,
"make again" re-makes one image, private files go with what they belong to, and accounts and sessions resist
the usual attacks (enumeration by timing, password guessing from many addresses, copied cookies)."""

from __future__ import annotations

import io
import json
import os
import threading
import time
from datetime import timedelta

import pytest
from PIL import Image, ImageFile

from genstudio.db import FAILED, QUEUED, Job, User, utcnow
from genstudio.db import Image as ImageRow
from genstudio.extensions import db, studio

from ..conftest import create_user, csrf_token, login, token_for, wait_job


def png_bytes(size=(40, 30), mode="RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size).save(buf, format="PNG")
    return buf.getvalue()


def raw_json(client, headers, text: str, url: str = "/api/v1/jobs"):
    return client.post(url, data=text, headers={**headers, "Content-Type": "application/json"})


def stored_keys(app, prefix: str) -> list[str]:
    root = studio(app).storage.root
    return sorted(str(p.relative_to(root)) for p in (root / prefix).rglob("*") if p.is_file()) \
        if (root / prefix).exists() else []


# ---- 4: hostile JSON and numbers are a clear 4xx ----

@pytest.mark.parametrize("text,status,field", [
    ('{"service": "toy", "params": {"seed": 1e999}}', 422, "seed"),
    ('{"service": "toy", "params": {"delay": 1e999}}', 422, "delay"),
    ('{"service": "toy", "params": {"delay": -1e999}}', 422, "delay"),
    ('{"service": "toy", "params": {"seed": Infinity}}', 400, None),
    ('{"service": "toy", "params": {"seed": -Infinity}}', 400, None),
    ('{"service": "toy", "params": {"delay": NaN}}', 400, None),
    ('{"service": "toy", "params": {"seed": ' + "9" * 400 + "}}", 422, "seed"),
    ('{"service": "toy", "params": {"delay": ' + "9" * 400 + "}}", 422, "delay"),
    ('{"service": "toy", "params": {"count": -' + "9" * 400 + "}}", 422, "count"),
    ("[" * 100_000, 400, None),
    ('{"service": "toy", "params": ' + "[" * 100_000 + "}", 400, None),
])
def test_hostile_json_is_a_clear_4xx(client, api_headers, text, status, field):
    response = raw_json(client, api_headers, text)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["error"] and body.get("field") == field
    with client.application.app_context():
        assert db.session.scalar(db.select(db.func.count(Job.id))) == 0  # nothing was queued


def test_hostile_numbers_in_multipart_params(client, api_headers):
    for params, status in (('{"seed": 1e999}', 422), ('{"delay": Infinity}', 422), ("[" * 50_000, 422)):
        response = client.post("/api/v1/jobs", data={"service": "toy", "params": params}, headers=api_headers,
                               content_type="multipart/form-data")
        assert response.status_code == status, (params[:20], response.get_json())
        assert response.get_json()["field"] in ("params", "seed")


def test_huge_gallery_page_numbers_are_404(client, api_headers):
    for path in ("/gallery/public?page=99999999999999999999", "/gallery/public?page=1000000000"):
        assert client.get(path).status_code == 404, path
    assert client.get("/gallery/public?page=2").status_code == 200  # an empty page past the end is fine


# ---- 5: null means the default, never a failed job ----

def test_null_params_take_their_defaults(client, api_headers):
    params = {"steps": None, "count": None, "delay": None, "palette": None, "invert": None, "seed": None}
    response = client.post("/api/v1/jobs?wait=5", json={"service": "toy", "params": params}, headers=api_headers)
    assert response.status_code in (200, 202), response.get_json()
    job = wait_job(client, response.get_json()["url"], api_headers)
    assert job["status"] == "done", job["error"]
    assert job["params"]["steps"] == 4 and job["params"]["count"] == 1 and job["params"]["palette"] == "warm"
    assert job["params"]["invert"] is False and isinstance(job["params"]["seed"], int)


# ---- 14: errors never echo a huge input ----

def test_unknown_service_and_names_are_trimmed_in_errors(client, api_headers):
    huge = "x" * 100_000
    for body in ({"service": huge}, {"service": "toy", "model": huge}, {"service": "toy", "params": {huge: 1}}):
        response = client.post("/api/v1/jobs", json=body, headers=api_headers)
        assert 400 <= response.status_code < 500
        assert len(response.get_data()) < 1000, response.get_data()[:200]


# ---- 3: uploads are decoded once, and only for the fields a service declares ----

class DecodeCounter:
    """Counts real pixel decodes (ImageFile.load with tiles left to read) made by this thread."""

    def __init__(self, monkeypatch) -> None:
        self.count = 0
        original = ImageFile.ImageFile.load
        me = threading.get_ident()

        def load(image):
            if image.tile and threading.get_ident() == me:
                self.count += 1
            return original(image)

        monkeypatch.setattr(ImageFile.ImageFile, "load", load)


def test_undeclared_files_are_refused_without_decoding(client, api_headers, monkeypatch):
    counter = DecodeCounter(monkeypatch)
    files = {f"photo{i}": (io.BytesIO(png_bytes((600, 400))), f"p{i}.png") for i in range(4)}
    response = client.post("/api/v1/jobs", data={"service": "toy", "params": "{}", **files}, headers=api_headers,
                           content_type="multipart/form-data")
    assert response.status_code == 422 and response.get_json()["field"].startswith("photo")
    assert counter.count == 0
    files = {"image": (io.BytesIO(png_bytes()), "a.png"), "extra": (io.BytesIO(png_bytes()), "b.png")}
    response = client.post("/api/v1/jobs", data={"service": "toyedit", "params": "{}", **files},
                           headers=api_headers, content_type="multipart/form-data")
    assert response.status_code == 422 and response.get_json()["field"] == "extra"
    assert counter.count == 0


def test_a_declared_upload_is_decoded_once(client, api_headers, monkeypatch):
    counter = DecodeCounter(monkeypatch)
    response = client.post("/api/v1/jobs", data={"service": "toyedit", "params": '{"steps": 1}',
                                                 "image": (io.BytesIO(png_bytes((300, 200))), "a.png")},
                           headers=api_headers, content_type="multipart/form-data")
    assert response.status_code == 202, response.get_json()
    assert counter.count == 1


def test_concurrent_decodes_stay_within_the_pixel_budget():
    from genstudio.uploads import PixelBudget

    budget = PixelBudget(100)
    inside, peak, lock = [0], [0], threading.Lock()

    def work(pixels: int) -> None:
        with budget.hold(pixels, timeout=30):
            with lock:
                inside[0] += pixels
                peak[0] = max(peak[0], inside[0])
            time.sleep(0.01)
            with lock:
                inside[0] -= pixels

    threads = [threading.Thread(target=work, args=(p,)) for p in (60, 50, 40, 30, 60, 150, 10, 90)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] <= 150  # never more than the budget, except one oversized upload alone
    with budget.hold(150, timeout=1), pytest.raises(TimeoutError), budget.hold(10, timeout=0.05):
        pass


# ---- 2: anonymous work is limited per client address, and signed-in users keep a share of the queue ----

def anonymous_post(app, address: str, body: dict):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    token = csrf_token(client, "/toy/")
    return client.post("/jobs/", json=body, headers={"X-CSRFToken": token})


SLOW = {"service": "toy", "params": {"steps": 50, "delay": 0.2}}  # 10 s: still running when the test ends


def test_cookie_less_sessions_cannot_fill_the_queue(make_app):
    app = make_app(JOB_QUEUE_SIZE=8, MAX_ACTIVE_JOBS_PER_USER=2, ANON_MAX_ACTIVE_JOBS_PER_ADDRESS=3)
    codes = [anonymous_post(app, "10.0.0.7", SLOW).status_code for _ in range(6)]  # a fresh session each time
    assert codes == [202, 202, 202, 429, 429, 429]
    assert anonymous_post(app, "10.0.0.8", SLOW).status_code == 202  # another address is not affected
    headers = {"Authorization": f"Bearer {token_for(app, create_user(app, 'member', 'correct horse battery')[0])}"}
    assert app.test_client().post("/api/v1/jobs", json=SLOW, headers=headers).status_code == 202


def test_anonymous_images_per_day_count_per_address(make_app):
    app = make_app(ANON_MAX_IMAGES_PER_DAY=3)
    quick = {"service": "toy", "params": {"steps": 1, "count": 2}}
    first = anonymous_post(app, "10.0.0.9", quick)
    assert first.status_code == 202
    for _ in range(500):
        with app.app_context():
            if db.session.get(Job, first.get_json()["id"]).finished:
                break
        time.sleep(0.02)
    second = anonymous_post(app, "10.0.0.9", quick)  # a new session, the same address: 2 + 2 > 3
    assert second.status_code == 429 and "daily" in second.get_json()["error"]
    assert anonymous_post(app, "10.0.0.10", quick).status_code == 202


def test_anonymous_jobs_leave_room_for_signed_in_users(make_app):
    app = make_app(JOB_QUEUE_SIZE=4, JOB_WORKERS=1, ANON_QUEUE_SHARE=0.5, MAX_ACTIVE_JOBS_PER_USER=5)
    codes = [anonymous_post(app, f"10.1.0.{i}", SLOW).status_code for i in range(5)]
    with app.app_context():
        queued = db.session.scalar(db.select(db.func.count(Job.id)).where(Job.status == QUEUED))
    assert codes.count(503) >= 2 and queued <= 3, codes
    headers = {"Authorization": f"Bearer {token_for(app, create_user(app, 'member', 'correct horse battery')[0])}"}
    response = app.test_client().post("/api/v1/jobs", json=SLOW, headers=headers)
    assert response.status_code == 202, response.get_json()
    refused = anonymous_post(app, "10.1.0.99", SLOW)
    assert refused.status_code == 503 and int(refused.headers["Retry-After"]) > 0


def test_the_per_address_rate_limit_is_shared_by_every_job_route(make_app):
    app = make_app(JOB_RATE_LIMIT_IP="3 per minute", JOB_RATE_LIMIT_USER="100 per minute")
    headers = {"Authorization": f"Bearer {token_for(app, create_user(app, 'member', 'correct horse battery')[0])}"}
    client = app.test_client()
    quick = {"service": "toy", "params": {"steps": 1}}
    job = client.post("/api/v1/jobs?wait=5", json=quick, headers=headers).get_json()
    image_id = job["images"][0]["id"]
    assert client.post(f"/api/v1/images/{image_id}/again?wait=5", headers=headers).status_code in (200, 202)
    assert anonymous_post(app, "127.0.0.1", quick).status_code == 202  # the pages' route: third from this address
    blocked = client.post("/api/v1/jobs", json=quick, headers=headers)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0


# ---- 12: "make again" re-makes only the image asked for ----

def test_make_again_of_a_shared_image_never_hands_back_its_private_siblings(app, client, api_headers):
    job = client.post("/api/v1/jobs?wait=5", json={"service": "toy", "params": {"count": 2, "steps": 1}},
                      headers=api_headers).get_json()
    job = wait_job(client, job["url"], api_headers)
    first, second = job["images"]
    with app.app_context():
        db.session.get(ImageRow, first["id"]).public = True
        db.session.commit()
    create_user(app, "visitor", "another horse battery")
    other = {"Authorization": f"Bearer {token_for(app, 'visitor')}"}
    response = client.post(f"/api/v1/images/{first['id']}/again", headers=other)
    assert response.status_code == 202
    remade = wait_job(client, response.get_json()["url"], other)
    assert [(im["index"], im["sha256"]) for im in remade["images"]] == [(0, first["sha256"])]
    assert second["sha256"] not in json.dumps(remade)
    # the second image itself, made again by its owner, is that image alone too
    mine = wait_job(client, client.post(f"/api/v1/images/{second['id']}/again", headers=api_headers)
                    .get_json()["url"], api_headers)
    assert [(im["index"], im["sha256"]) for im in mine["images"]] == [(1, second["sha256"])]


# ---- 13: concurrent first requests of a new browser agree on its anonymous identity ----

def test_simultaneous_first_jobs_of_a_new_browser_share_one_identity(app):
    browser = app.test_client()
    token = csrf_token(browser, "/toy/")
    cookie = browser.get_cookie("session").value
    answers = []
    for _ in range(2):  # two requests that left before either answer set the anonymous id
        tab = app.test_client()
        tab.set_cookie("session", cookie)
        answers.append((tab, tab.post("/jobs/", json={"service": "toy", "params": {"steps": 1}},
                                      headers={"X-CSRFToken": token})))
    assert [response.status_code for _, response in answers] == [202, 202]
    last = answers[-1][0]  # the browser keeps one of the cookies; both jobs answer to it
    for _, response in answers:
        assert last.get(response.get_json()["url"]).status_code == 200


# ---- 11: private files go with what they belong to ----

def upload_job(client, headers, params: dict) -> dict:
    response = client.post("/api/v1/jobs", data={"service": "toyedit", "params": json.dumps(params),
                                                 "image": (io.BytesIO(png_bytes()), "me.png")},
                           headers=headers, content_type="multipart/form-data")
    assert response.status_code == 202, response.get_json()
    return wait_job(client, response.get_json()["url"], headers)


def test_deleting_the_image_deletes_the_uploaded_photo(app, user):
    client = app.test_client()
    login(client, *user)
    headers = {"Authorization": f"Bearer {token_for(app, user[0])}"}
    job = upload_job(client, headers, {"steps": 1})
    assert job["status"] == "done" and stored_keys(app, "inputs")
    token = csrf_token(client, "/gallery/mine")
    assert client.post(f"/gallery/image/{job['images'][0]['id']}/delete", data={"csrf_token": token}).status_code == 302
    assert stored_keys(app, "inputs") == [] and stored_keys(app, "images") == []
    assert stored_keys(app, "previews") == []  # the job's last preview showed the photo too


def test_a_failed_job_keeps_no_upload(app, api_headers):
    client = app.test_client()
    job = upload_job(client, api_headers, {"steps": 1, "fail": True})
    assert job["status"] == FAILED
    assert stored_keys(app, "inputs") == []
    with app.app_context():
        assert db.session.get(Job, job["id"]).inputs == {}


def test_an_interrupted_job_keeps_no_upload(make_app, tmp_path):
    instance = tmp_path / "shared-instance"
    app = make_app(INSTANCE_PATH=instance, JOB_WORKERS=1, MAX_ACTIVE_JOBS_PER_USER=5)
    create_user(app, "uploader", "correct horse battery")
    headers = {"Authorization": f"Bearer {token_for(app, 'uploader')}"}
    client = app.test_client()
    busy = client.post("/api/v1/jobs", json=SLOW, headers=headers)
    assert busy.status_code == 202  # holds the only worker, so the upload job below stays queued
    response = client.post("/api/v1/jobs", data={"service": "toyedit", "params": "{}",
                                                 "image": (io.BytesIO(png_bytes()), "me.png")},
                           headers=headers, content_type="multipart/form-data")
    assert response.status_code == 202 and stored_keys(app, "inputs")
    restarted = make_app(INSTANCE_PATH=instance)  # a new process on the same instance: recovery on start
    with restarted.app_context():
        job = db.session.get(Job, response.get_json()["id"])
        assert job.status == FAILED and "Interrupted" in job.error and job.inputs == {}
    assert stored_keys(restarted, "inputs") == []


def test_deleting_the_account_mid_job_leaves_no_preview(app, user):
    client = app.test_client()
    login(client, *user)
    headers = {"Authorization": f"Bearer {token_for(app, user[0])}"}
    job = client.post("/api/v1/jobs", json=SLOW, headers=headers).get_json()
    for _ in range(400):
        state = client.get(job["url"], headers=headers).get_json()
        if state["preview_url"]:
            break
        time.sleep(0.02)
    assert state["preview_url"]
    token = csrf_token(client, "/auth/profile")
    assert client.post("/auth/delete", data={"password": user[1], "csrf_token": token}).status_code == 302
    # one worker: once a later job is done, the deleted one has stopped
    later = app.test_client()
    follow = later.post("/jobs/", json={"service": "toy", "params": {"steps": 1}},
                        headers={"X-CSRFToken": csrf_token(later, "/toy/")})
    wait_job(later, follow.get_json()["url"])
    assert not any(job["id"] in key for key in stored_keys(app, "previews"))
    assert stored_keys(app, "images/u1") == [] and stored_keys(app, "inputs/u1") == []


def test_housekeeping_sweeps_orphaned_uploads_and_previews(app, api_headers):
    from genstudio.jobs.maintenance import housekeeping

    client = app.test_client()
    kept = upload_job(client, api_headers, {"steps": 1})
    storage = studio(app).storage
    orphans = ["inputs/u1/nosuchjob0001/image.png", "previews/nosuchjob0001.png", "inputs/anosuchkey/nojob/x.png"]
    for key in orphans:
        storage.put(key, b"private")
        old = time.time() - 3 * 3600
        os.utime(storage.path(key), (old, old))
    storage.put("previews/nosuchjob0002.png", b"fresh")  # just written: may belong to a job being created
    with app.app_context():  # a failed job whose inputs a raw UPDATE left behind (e.g. the cluster's reaper)
        failed = Job(id="failedjob001", user_id=1, service="toyedit", model="toy-tiny", params={},
                     status=FAILED, inputs={"image": {"kind": "image", "key": "inputs/u1/failedjob001/image.png"}},
                     finished_at=utcnow() - timedelta(hours=2))
        storage.put("inputs/u1/failedjob001/image.png", b"private")
        db.session.add(failed)
        db.session.commit()
    housekeeping(app)
    for key in orphans + ["inputs/u1/failedjob001/image.png"]:
        assert not storage.exists(key), key
    assert storage.exists("previews/nosuchjob0002.png")
    with app.app_context():
        job = db.session.get(Job, kept["id"])
        assert all(storage.exists(entry["key"]) for entry in job.inputs.values() if "key" in entry)


# ---- 7-10: accounts and sessions ----

def signup(client, name: str, password: str):
    token = csrf_token(client, "/auth/signup")
    return client.post("/auth/signup", data={"username": name, "password": password, "confirm": password,
                                             "csrf_token": token})


def test_remember_me_cookie_is_secure_with_secure_cookies(make_app, monkeypatch):
    monkeypatch.setenv("GENSTUDIO_SECURE_COOKIES", "1")
    app = make_app()
    assert app.config["REMEMBER_COOKIE_SECURE"] and app.config["SESSION_COOKIE_SECURE"]
    create_user(app, "remembered", "correct horse battery")
    client = app.test_client()
    token = csrf_token(client)
    response = client.post("/auth/login", data={"username": "remembered", "password": "correct horse battery",
                                                "remember": "y", "csrf_token": token})
    cookies = [v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("remember_token=")]
    assert cookies and all("Secure" in c for c in cookies), cookies


def test_an_unknown_username_costs_a_password_hash_too(app, user, monkeypatch):
    import genstudio.db as db_module

    calls = []
    original = db_module.check_password_hash
    monkeypatch.setattr(db_module, "check_password_hash", lambda *a: calls.append(1) or original(*a))
    client = app.test_client()
    token = csrf_token(client)
    for name in (user[0], "nobody-at-all"):
        client.post("/auth/login", data={"username": name, "password": "wrong password", "csrf_token": token})
    assert len(calls) == 2


def test_password_guessing_is_limited_per_account_across_addresses(make_app):
    app = make_app(LOGIN_RATE_LIMIT_ACCOUNT="5 per hour")
    create_user(app, "target", "correct horse battery")
    for i in range(5):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.2.0.{i}"
        token = csrf_token(client)
        assert client.post("/auth/login", data={"username": "Target", "password": f"guess {i}",
                                                "csrf_token": token}).status_code == 200
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "127.0.0.2"
    token = csrf_token(client)
    blocked = client.post("/auth/login", data={"username": "target", "password": "correct horse battery",
                                               "csrf_token": token})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert client.get("/auth/profile").status_code == 302  # not logged in
    create_user(app, "bystander", "another horse battery")
    login(app.test_client(), "bystander", "another horse battery")  # other accounts are not affected


def test_usernames_are_unique_whatever_their_case(app, user):
    response = signup(app.test_client(), user[0].upper(), "a fine long password")
    assert response.status_code == 200 and "That username is taken." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == 1
    login(app.test_client(), user[0].capitalize(), user[1])  # the name logs in whatever its case


def test_common_passwords_are_refused(app, user):
    for password in ("12345678", "Password1", "iloveyou"):
        response = signup(app.test_client(), "newcomer", password)
        assert response.status_code == 200 and "too common" in response.get_data(as_text=True), password
    client = app.test_client()
    login(client, *user)
    token = csrf_token(client, "/auth/profile")
    response = client.post("/auth/password", data={"current": user[1], "password": "qwertyuiop",
                                                   "confirm": "qwertyuiop", "csrf_token": token})
    assert response.status_code == 422 and "too common" in response.get_data(as_text=True)
    assert signup(app.test_client(), "newcomer", "a fine long password").status_code == 302


def test_a_session_cookie_copied_before_logout_is_dead_after_it(app, user):
    client = app.test_client()
    token = csrf_token(client)
    client.post("/auth/login", data={"username": user[0], "password": user[1], "remember": "y",
                                     "csrf_token": token})
    assert client.get("/auth/profile").status_code == 200
    session_cookie = client.get_cookie("session").value
    remember_cookie = client.get_cookie("remember_token").value
    token = csrf_token(client, "/auth/profile")
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", session_cookie)
    assert thief.get("/auth/profile").status_code == 302
    thief = app.test_client()
    thief.set_cookie("remember_token", remember_cookie)
    assert thief.get("/auth/profile").status_code == 302


def test_the_csrf_token_changes_at_login(app, user):
    client = app.test_client()
    before = csrf_token(client)
    client.post("/auth/login", data={"username": user[0], "password": user[1], "csrf_token": before})
    after = csrf_token(client, "/auth/profile")
    assert after != before
    response = client.post("/auth/tokens", data={"name": "old token", "csrf_token": before})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert client.post("/auth/tokens", data={"name": "new token", "csrf_token": after}).status_code == 200


def test_logins_older_than_a_remember_cookie_are_pruned(app, user):
    from genstudio.db import LoginSession
    from genstudio.jobs.maintenance import prune_logins

    old, fresh = app.test_client(), app.test_client()
    login(old, *user)
    login(fresh, *user)
    with app.app_context():
        first = db.session.scalars(db.select(LoginSession).order_by(LoginSession.created_at)).first()
        first.created_at = utcnow() - timedelta(days=400)
        db.session.commit()
    assert prune_logins(app) == 1
    assert old.get("/auth/profile").status_code == 302 and fresh.get("/auth/profile").status_code == 200
