"""Security checks as tests: CSRF on every form, privacy of images, jobs and tokens (and unguessable ids), login
rate limit, a password change ends the other sessions, uploads lose their EXIF location before storage, and
the security headers (a CSP without inline scripts, X-Frame-Options, ...)."""

from __future__ import annotations

import io
import re

from PIL import Image

from genstudio.db import ApiToken, Job, User
from genstudio.db import Image as ImageRow
from genstudio.extensions import db, studio

from ..conftest import create_user, csrf_token, login, token_for, wait_job

GPS_IFD = 0x8825


def post_api_job(client, headers, params=None, service="toy"):
    response = client.post("/api/v1/jobs", json={"service": service, "params": params or {"steps": 1}},
                           headers=headers)
    assert response.status_code == 202, response.get_json()
    return wait_job(client, response.get_json()["url"], headers)


def fill_url(rule) -> str:
    values = {arg: ("1" if arg.endswith("token_id") else "abcdefghijkl") for arg in rule.arguments}
    if "service_name" in values:
        values["service_name"] = "toy"
    if "code" in values:
        values["code"] = "en"
    url = rule.rule
    for arg, value in values.items():
        url = re.sub(r"<(?:[^:>]+:)?" + arg + ">", value, url)
    return url


def test_every_state_changing_route_needs_a_csrf_token(app, user):
    client = app.test_client()
    login(client, *user)
    checked = []
    for rule in app.url_map.iter_rules():
        methods = rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
        if not methods or rule.endpoint == "static":
            continue
        url = fill_url(rule)
        for method in methods:
            response = client.open(url, method=method, data={"x": "1"})
            body = response.get_data(as_text=True)
            assert response.status_code == 400, f"{method} {url} without CSRF: {response.status_code}"
            assert "CSRF" in body, f"{method} {url}: refused, but not for CSRF: {body[:200]}"
            checked.append(f"{method} {url}")
    assert len(checked) >= 10, checked  # login, signup, logout, tokens, password, delete, share, jobs, API ...
    assert client.get("/auth/profile").status_code == 200  # still logged in: nothing above went through


def test_every_form_on_the_pages_carries_a_csrf_token(app, user):
    client = app.test_client()
    pages = ["/auth/login", "/auth/signup"]
    login(client, *user)
    post_api_job(client, {"Authorization": f"Bearer {token_for(app, user[0])}"})
    pages += ["/", "/auth/profile", "/gallery/mine", "/gallery/public", "/toy/"]
    with app.app_context():
        image_id = db.session.scalars(db.select(ImageRow.id)).first()
    pages.append(f"/gallery/image/{image_id}")
    forms = 0
    for page in pages:
        html = client.get(page).get_data(as_text=True)
        for form in re.findall(r"<form\b[^>]*>.*?</form>", html, flags=re.S | re.I):
            if re.search(r'method="?post', form, flags=re.I):
                forms += 1
                assert 'name="csrf_token"' in form, f"a POST form on {page} has no CSRF token:\n{form[:300]}"
    assert forms >= 5


def test_nobody_else_sees_or_touches_a_private_image_job_or_token(app, user):
    owner_headers = {"Authorization": f"Bearer {token_for(app, user[0])}"}
    client = app.test_client()
    job = post_api_job(client, owner_headers)
    image = job["images"][0]
    create_user(app, "mallory", "another horse battery")
    other = {"Authorization": f"Bearer {token_for(app, 'mallory')}"}
    for method, url in [("GET", job["url"]), ("GET", job["url"] + "/preview"), ("POST", job["url"] + "/cancel"),
                        ("DELETE", job["url"]), ("GET", image["url"]), ("GET", image["url"] + "/recipe"),
                        ("POST", image["url"] + "/again")]:
        assert client.open(url, method=method, headers=other).status_code == 404, (method, url)
        assert client.open(url, method=method).status_code == 401, (method, url)  # no token at all
    assert job["id"] not in client.get("/api/v1/jobs", headers=other).get_data(as_text=True)
    assert image["id"] not in client.get("/api/v1/images", headers=other).get_data(as_text=True)
    # mallory's browser: pages, file, share, delete, and revoking the owner's token
    browser = app.test_client()
    login(browser, "mallory", "another horse battery")
    token = csrf_token(browser, "/auth/profile")
    for url in (f"/gallery/image/{image['id']}", f"/gallery/image/{image['id']}.png", f"/jobs/{job['id']}"):
        assert browser.get(url).status_code == 404, url
    for url in (f"/gallery/image/{image['id']}/share", f"/gallery/image/{image['id']}/delete"):
        assert browser.post(url, data={"csrf_token": token}).status_code == 404, url
    with app.app_context():
        owner_token = db.session.scalar(db.select(ApiToken).join(User).where(User.username == user[0]))
        token_id = owner_token.id
    browser.post(f"/auth/tokens/{token_id}/revoke", data={"csrf_token": token})
    assert client.get(job["url"], headers=owner_headers).status_code == 200  # the token still works
    assert client.get(image["url"], headers=owner_headers).status_code == 200  # and the image is still private
    with app.app_context():
        row = db.session.get(ImageRow, image["id"])
        assert row is not None and not row.public


def test_ids_are_not_guessable_and_tokens_are_stored_hashed(app, user):
    headers = {"Authorization": f"Bearer {token_for(app, user[0])}"}
    client = app.test_client()
    job = post_api_job(client, headers, {"steps": 1, "count": 4})
    with app.app_context():
        ids = [j.id for j in db.session.scalars(db.select(Job))]
        ids += [i.id for i in db.session.scalars(db.select(ImageRow))]
        stored = db.session.scalars(db.select(ApiToken.token_hash)).all()
    assert len(ids) == len(set(ids)) == 5
    for ident in ids:
        assert re.fullmatch(r"[A-Za-z0-9_-]{12,}", ident), ident  # 72+ random bits, not a counter
    assert len({ident[:4] for ident in ids}) >= 4  # no shared prefix: not sequential
    assert not any(job["id"] in s or headers["Authorization"].split()[1] in s for s in stored)
    assert all(re.fullmatch(r"[0-9a-f]{64}", s) for s in stored)


def test_login_is_rate_limited(app, user):
    client = app.test_client()
    token = csrf_token(client)
    codes = [client.post("/auth/login", data={"username": f"nobody{i}", "password": "wrong", "csrf_token": token})
             .status_code for i in range(30)]  # other names each time: the limit per address, not per account
    assert set(codes) == {200}  # wrong password: the form again
    blocked = client.post("/auth/login", data={"username": user[0], "password": user[1], "csrf_token": token})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert app.test_client().get("/auth/profile").status_code == 302  # and nobody got in


def test_changing_the_password_ends_the_other_sessions(app, user):
    here, elsewhere = app.test_client(), app.test_client()
    login(here, *user)
    login(elsewhere, *user)
    assert elsewhere.get("/auth/profile").status_code == 200
    token = csrf_token(here, "/auth/profile")
    response = here.post("/auth/password", data={"current": user[1], "password": "a brand new one",
                                                  "confirm": "a brand new one", "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert here.get("/auth/profile").status_code == 200  # the session that changed it stays in
    stale = elsewhere.get("/auth/profile")
    assert stale.status_code == 302 and "/auth/login" in stale.headers["Location"]  # the other one is out
    fresh = app.test_client()
    login(fresh, user[0], "a brand new one")
    assert fresh.get("/auth/profile").status_code == 200


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[GPS_IFD] = {1: "N", 2: (37.0, 33.0, 59.0), 3: "E", 4: (126.0, 58.0, 40.0)}  # Seoul
    buf = io.BytesIO()
    image.save(buf, format="JPEG", exif=exif)
    data = buf.getvalue()
    with Image.open(io.BytesIO(data)) as check:
        assert check.getexif().get_ifd(GPS_IFD), "the test photo should carry a GPS location"
    return data


def has_location(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as im:
        exif = im.getexif()
        return bool(exif.get_ifd(GPS_IFD)) or b"PhoneMaker" in data or "exif" in im.info


def test_uploads_lose_their_exif_location_before_storage(app, user):
    headers = {"Authorization": f"Bearer {token_for(app, user[0])}"}
    client = app.test_client()
    response = client.post("/api/v1/jobs", data={"service": "toyedit", "params": '{"steps": 1}',
                                                 "image": (io.BytesIO(jpeg_with_gps()), "holiday.jpg")},
                           headers=headers, content_type="multipart/form-data")
    assert response.status_code == 202, response.get_json()
    job = wait_job(client, response.get_json()["url"], headers)
    assert job["status"] == "done"
    storage = studio(app).storage
    with app.app_context():
        inputs = db.session.get(Job, job["id"]).inputs
    stored = [storage.get(entry["key"]) for entry in inputs.values() if "key" in entry]
    assert stored, inputs
    for data in stored:
        assert not has_location(data)
    assert not has_location(client.get(job["images"][0]["url"], headers=headers).data)


def test_security_headers_and_no_inline_scripts(app, user):
    client = app.test_client()
    login(client, *user)
    for path in ["/", "/auth/profile", "/gallery/mine", "/gallery/public", "/toy/", "/toyedit/", "/no-such-page",
                 "/api/v1/openapi.json"]:
        response = client.get(path)
        headers = response.headers
        csp = headers.get("Content-Security-Policy", "")
        directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
        assert "'self'" in directives.get("script-src", ""), (path, csp)
        assert "unsafe-inline" not in directives["script-src"] and "unsafe-eval" not in directives["script-src"]
        assert directives.get("frame-ancestors") == "'none'" and directives.get("object-src") == "'none'"
        assert headers.get("X-Frame-Options") == "DENY"
        assert headers.get("X-Content-Type-Options") == "nosniff"
        assert headers.get("Referrer-Policy")
        if response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            inline = [s for s in re.findall(r"<script\b[^>]*>", html, flags=re.I) if "src=" not in s.lower()
                      and 'type="application/json"' not in s.lower()]
            assert not inline, f"inline <script> on {path}: {inline}"
            assert not re.search(r"\son[a-z]+\s*=", html, flags=re.I), f"inline event handler on {path}"
            assert not re.search(r"javascript:", html, flags=re.I), path
    login_page = app.test_client().get("/auth/login")
    cookie = login_page.headers.get("Set-Cookie", "")
    if cookie:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
