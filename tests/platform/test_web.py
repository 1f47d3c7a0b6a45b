"""Pages: accounts, galleries, sharing, languages, security headers and error pages."""

from __future__ import annotations

import re

from sqlalchemy import text

from genstudio.db import Image, User
from genstudio.extensions import db, studio

from ..conftest import create_user, csrf_token, login, token_for, wait_job


def signup(client, name="hana", password="plum-tree-42"):
    token = csrf_token(client, "/auth/signup")
    return client.post("/auth/signup", data={"username": name, "password": password, "confirm": password,
                                             "csrf_token": token})


def make_image(app, client, headers=None, **params) -> dict:
    if headers is None:
        token = csrf_token(client, "/toy/")
        response = client.post("/jobs/", json={"service": "toy", "params": {"steps": 1, **params}},
                               headers={"X-CSRFToken": token})
    else:
        response = client.post("/api/v1/jobs", json={"service": "toy", "params": {"steps": 1, **params}},
                               headers=headers)
    return wait_job(client, response.get_json()["url"], headers)["images"][0]


def test_pages_extend_base_and_serve_bootstrap_locally(client):
    for path in ("/", "/toy/", "/toyedit/", "/gallery/public", "/auth/login", "/auth/signup"):
        html = client.get(path).get_data(as_text=True)
        assert 'id="flashes"' in html and "<footer" in html, path
        assert "/bootstrap/static/css/bootstrap.min.css" in html and "cdn" not in html.lower(), path
        assert "<script>" not in html, f"inline script on {path}"
    assert client.get("/bootstrap/static/css/bootstrap.min.css").status_code == 200
    assert client.get("/bootstrap/static/js/bootstrap.min.js").status_code == 200
    assert client.get("/static/js/genstudio.js").status_code == 200


def test_landing_presents_services_and_healthz(client):
    html = client.get("/").get_data(as_text=True)
    assert "Toy generator" in html and 'href="/toy/"' in html and "Toy photo editor" in html
    assert client.get("/healthz").get_json() == {"status": "ok", "services": {"toy": "ready", "toyedit": "ready"}}


def test_service_page_renders_form_from_schema(client):
    html = client.get("/toy/").get_data(as_text=True)
    assert 'type="range" id="field-steps"' in html and 'min="1" max="50"' in html
    assert 'data-dice-for="field-seed"' in html
    assert '<select class="form-select" id="field-palette"' in html
    assert 'id="field-invert"' in html and 'type="checkbox"' in html
    assert 'id="field-model"' in html  # two models to choose from
    assert 'data-upload' in client.get("/toyedit/").get_data(as_text=True)


def test_missing_model_shows_install_hint(make_app, tmp_path, monkeypatch):
    app = make_app()
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(tmp_path / "empty"))
    client = app.test_client()
    html = client.get("/toy/").get_data(as_text=True)
    assert "Model not installed" in html and "genstudio train toy --config configs/toy.yaml" in html
    assert re.search(r'id="generate"[^>]*disabled', html)
    assert client.get("/healthz").get_json()["services"]["toy"] == "missing"
    token = csrf_token(client, "/toy/")
    response = client.post("/jobs/", json={"service": "toy"}, headers={"X-CSRFToken": token})
    assert response.status_code == 503 and "genstudio train toy" in response.get_json()["error"]


def test_signup_login_logout_password_and_delete(app, client):
    assert signup(client).status_code == 302
    assert "hana" in client.get("/").get_data(as_text=True)
    assert signup(app.test_client()).status_code == 200  # name taken: the form is shown again
    # log out needs the CSRF token too
    assert client.post("/auth/logout").status_code == 400
    assert "hana" in client.get("/").get_data(as_text=True)
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get("/gallery/mine").status_code == 302  # login required
    bad = client.post("/auth/login", data={"username": "hana", "password": "nope-nope",
                                           "csrf_token": csrf_token(client)})
    assert "Wrong username or password" in bad.get_data(as_text=True)
    login(client, "hana", "plum-tree-42")
    token = csrf_token(client, "/auth/profile")
    response = client.post("/auth/password", data={"current": "plum-tree-42", "password": "new-password-1",
                                                   "confirm": "new-password-1", "csrf_token": token})
    assert response.status_code == 302
    image = make_image(app, client)
    with app.app_context():
        key = db.session.get(Image, image["id"]).storage_key
        assert studio(app).storage.exists(key)
    response = client.post("/auth/delete", data={"password": "plum-tree-42", "csrf_token": token})
    assert response.status_code == 422  # the old password no longer works
    response = client.post("/auth/delete", data={"password": "new-password-1", "csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        assert User.by_name("hana") is None and db.session.get(Image, image["id"]) is None
        assert not studio(app).storage.exists(key)


def test_forms_reject_missing_csrf(client, user):
    response = client.post("/auth/login", data={"username": user[0], "password": user[1]})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert client.get("/gallery/mine").status_code == 302  # not logged in


def test_tokens_created_and_revoked_on_profile(app, client, user):
    login(client, *user)
    token = csrf_token(client, "/auth/profile")
    html = client.post("/auth/tokens", data={"name": "script", "csrf_token": token}).get_data(as_text=True)
    plain = re.search(r'value="(gs_[^"]+)"', html).group(1)
    assert client.get("/api/v1/services", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    token_id = re.search(r'/auth/tokens/(\d+)/revoke', html).group(1)
    client.post(f"/auth/tokens/{token_id}/revoke", data={"csrf_token": token})
    assert client.get("/api/v1/services", headers={"Authorization": f"Bearer {plain}"}).status_code == 401


def test_password_change_keeps_tokens_unless_asked(app, client, user):
    login(client, *user)
    token = csrf_token(client, "/auth/profile")
    bearer = []
    for name in ("one", "two"):
        html = client.post("/auth/tokens", data={"name": name, "csrf_token": token}).get_data(as_text=True)
        bearer.append({"Authorization": "Bearer " + re.search(r'value="(gs_[^"]+)"', html).group(1)})
    change = {"current": user[1], "password": "new-password-1", "confirm": "new-password-1", "csrf_token": token}
    assert client.post("/auth/password", data=change).status_code == 302
    assert client.get("/api/v1/services", headers=bearer[0]).status_code == 200  # a token is its own credential
    change = {**change, "current": "new-password-1", "password": "new-password-2", "confirm": "new-password-2",
              "revoke_tokens": "y"}
    response = client.post("/auth/password", data=change, follow_redirects=True)
    assert "2 API token(s) revoked" in response.get_data(as_text=True)
    assert all(client.get("/api/v1/services", headers=h).status_code == 401 for h in bearer)


def test_gallery_share_feed_and_delete(app, client, user):
    login(client, *user)
    image = make_image(app, client)
    page = f"/gallery/image/{image['id']}"
    assert image["id"] in client.get("/gallery/mine").get_data(as_text=True)
    stranger = app.test_client()
    assert stranger.get(page).status_code == 404
    assert image["id"] not in stranger.get("/gallery/public").get_data(as_text=True)
    token = csrf_token(client, page)
    client.post(f"{page}/share", data={"csrf_token": token})
    assert stranger.get(page).status_code == 200
    assert image["id"] in stranger.get("/gallery/public").get_data(as_text=True)
    html = stranger.get(page).get_data(as_text=True)
    assert "Checkpoint" in html and ">Seed<" in html and 'id="make-again"' in html
    assert stranger.post(f"{page}/delete", data={"csrf_token": csrf_token(stranger, page)}).status_code == 302
    assert client.get(page).status_code == 200  # a stranger cannot delete it (redirected to log in)
    download = client.get(f"/gallery/image/{image['id']}.png?download=1")
    assert download.mimetype == "image/png" and "attachment" in download.headers["Content-Disposition"]
    client.post(f"{page}/share", data={"csrf_token": token})
    assert stranger.get(page).status_code == 404
    client.post(f"{page}/delete", data={"csrf_token": token})
    assert client.get(page).status_code == 404


def test_gallery_pagination(make_app):
    app = make_app(GALLERY_PAGE_SIZE=2)
    create_user(app, "pager", "password123")
    headers = {"Authorization": f"Bearer {token_for(app, 'pager')}"}
    client = app.test_client()
    client.post("/api/v1/jobs?wait=5", json={"service": "toy", "params": {"count": 3, "steps": 1}}, headers=headers)
    login(client, "pager", "password123")
    first = client.get("/gallery/mine?group=0").get_data(as_text=True)
    third = client.get("/gallery/mine?group=0&page=2").get_data(as_text=True)
    ids = lambda html: set(re.findall(r'data-image-id="([^"]+)"', html))  # noqa: E731
    assert len(ids(first)) == 2 and len(ids(third)) == 1 and not ids(first) & ids(third)
    assert "page=2" in first and "group=0" in first  # the pages keep the "every image" view


def test_gallery_groups_a_jobs_images_into_one_card(app, client, user):
    headers = {"Authorization": f"Bearer {token_for(app, user[0])}"}
    job = client.post("/api/v1/jobs?wait=5", json={"service": "toy", "params": {"count": 3, "steps": 1}},
                      headers=headers).get_json()
    single = client.post("/api/v1/jobs?wait=5", json={"service": "toy", "params": {"steps": 1}},
                         headers=headers).get_json()
    login(client, *user)
    ids = lambda html: re.findall(r'data-image-id="([^"]+)"', html)  # noqa: E731
    grouped = client.get("/gallery/mine").get_data(as_text=True)
    assert ids(grouped) == [single["images"][0]["id"], job["images"][0]["id"]]  # newest first, one card per job
    assert 'data-job-images="3"' in grouped and "3 images from this job" in grouped
    one_job = client.get(f"/gallery/mine?job={job['id']}").get_data(as_text=True)
    assert ids(one_job) == [image["id"] for image in job["images"]]
    assert len(ids(client.get("/gallery/mine?group=0").get_data(as_text=True))) == 4
    with app.app_context():  # the job's first image deleted: the next one stands for the job
        db.session.delete(db.session.get(Image, job["images"][0]["id"]))
        db.session.commit()
    grouped = client.get("/gallery/mine").get_data(as_text=True)
    assert job["images"][1]["id"] in ids(grouped) and 'data-job-images="2"' in grouped


def test_korean_from_browser_and_switch(client):
    html = client.get("/", headers={"Accept-Language": "ko-KR,ko;q=0.9"}).get_data(as_text=True)
    assert '<html lang="ko">' in html and "로그인" in html
    client.get("/lang/en?next=/auth/login")
    html = client.get("/", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert '<html lang="en">' in html and "Log in" in html
    response = client.get("/lang/ko?next=https://evil.example/")
    assert response.headers["Location"] == "/"  # no open redirect
    assert "회원가입" in client.get("/auth/signup").get_data(as_text=True)


def test_security_headers_and_cookies(client, user):
    response = client.get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    token = csrf_token(client)
    response = client.post("/auth/login", data={"username": user[0], "password": user[1], "csrf_token": token})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secret_key_generated_in_instance(make_app, tmp_path):
    from genstudio.config import build_config

    instance = tmp_path / "fresh"
    key = build_config({"INSTANCE_PATH": instance})["SECRET_KEY"]
    assert len(key) == 64 and (instance / "secret_key").read_text() == key
    assert build_config({"INSTANCE_PATH": instance})["SECRET_KEY"] == key
    assert oct((instance / "secret_key").stat().st_mode)[-3:] == "600"


def test_corrupt_row_and_missing_file_show_error_pages(app, client, user):
    login(client, *user)
    image = make_image(app, client)
    with app.app_context():
        row = db.session.get(Image, image["id"])
        studio(app).storage.delete(row.storage_key)
    response = client.get(f"/gallery/image/{image['id']}.png")
    assert response.status_code == 404 and "missing" in response.get_data(as_text=True)
    with app.app_context():
        db.session.execute(text("UPDATE images SET recipe = 'not json {' WHERE id = :id"), {"id": image["id"]})
        db.session.commit()
    for path in (f"/gallery/image/{image['id']}", "/gallery/mine"):
        response = client.get(path)
        body = response.get_data(as_text=True)
        assert response.status_code == 500 and "Something went wrong" in body, path
        assert "Traceback" not in body and "JSONDecodeError" not in body
    api = client.get(f"/api/v1/images/{image['id']}/recipe")
    assert api.status_code == 500 and api.get_json() == {"error": "an internal error occurred; it has been logged"}


def test_service_page_shows_history_and_resumes_running_job(app, client):
    image = make_image(app, client)
    html = client.get("/toy/").get_data(as_text=True)
    assert 'id="recent"' in html and image["id"] in html
    assert image["id"] not in app.test_client().get("/toy/").get_data(as_text=True)  # another visitor
    token = csrf_token(client, "/toy/")
    job = client.post("/jobs/", json={"service": "toy", "params": {"steps": 40, "delay": 0.05}},
                      headers={"X-CSRFToken": token}).get_json()
    assert f'data-active-job="{job["id"]}"' in client.get("/toy/").get_data(as_text=True)
    client.post(job["url"] + "/cancel", headers={"X-CSRFToken": token})


def test_landing_cards_show_model_sample_grids(app, client, toy_weights, tmp_path, monkeypatch):
    import shutil

    from PIL import Image as PILImage

    root = tmp_path / "weights"
    shutil.copytree(toy_weights, root)
    PILImage.new("RGB", (8, 8), "red").save(root / "toy-tiny" / "samples.png")
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(root))
    html = client.get("/").get_data(as_text=True)
    assert 'src="/examples/toy.png"' in html
    assert "/examples/toyedit.png" not in html  # upload services' grids show the photos they edited
    assert client.get("/examples/toy.png").mimetype == "image/png"
    assert client.get("/examples/toyedit.png").status_code == 404


def test_database_url_selects_postgresql(tmp_path, monkeypatch):
    from genstudio.config import build_config

    monkeypatch.delenv("DATABASE_URL", raising=False)
    default = build_config({"INSTANCE_PATH": tmp_path, "SECRET_KEY": "x"})["SQLALCHEMY_DATABASE_URI"]
    assert default == f"sqlite:///{tmp_path / 'genstudio.db'}"
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5432/studio")
    cfg = build_config({"INSTANCE_PATH": tmp_path, "SECRET_KEY": "x"})
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example:5432/studio"


def test_use_these_settings_prefills_the_form_only_for_viewers(app, client, user):
    import html as htmllib
    import json

    login(client, *user)
    image = make_image(app, client, seed=4242, palette="cool")
    page = client.get(f"/toy/?recipe={image['id']}").get_data(as_text=True)
    prefill = json.loads(htmllib.unescape(re.search(r'data-prefill="([^"]*)"', page).group(1)))
    assert prefill["model"] == "toy-tiny" and prefill["params"]["seed"] == 4242
    assert prefill["params"]["palette"] == "cool"
    stranger = app.test_client().get(f"/toy/?recipe={image['id']}").get_data(as_text=True)
    assert 'data-prefill=""' in stranger  # a private recipe is not leaked


def test_not_found_page_explains_instead_of_repeating_itself(client):
    response = client.get("/no-such-page")
    html = response.get_data(as_text=True)
    message = re.search(r'id="error-message">([^<]*)<', html).group(1)
    assert response.status_code == 404 and "<h1 class=\"h3\">Not found</h1>" in html
    assert "does not exist" in message and message.strip().lower() != "not found"
    assert client.get("/api/v1/no-such", headers={"Accept": "application/json"}).get_json() == {"error": "not found"}
    korean = client.get("/no-such-page", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert "not found" not in korean.lower()


def test_api_docs_page_is_served_by_the_app_and_linked_from_the_footer(client):
    landing = client.get("/").get_data(as_text=True)
    assert 'href="/api/docs" id="api-docs-link"' in landing
    response = client.get("/api/docs")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "POST /api/v1/jobs</code>" in html and "Create a job" in html and "Authorization: Bearer" in html
    assert 'data-service="toy"' in html and "<code>palette</code>" in html and "How many images." in html
    assert "cdn" not in html.lower() and "<script>" not in html
    assert "작업 만들기" in client.get("/api/docs", headers={"Accept-Language": "ko"}).get_data(as_text=True)


def test_recipe_table_names_each_fact_once_in_plain_words(app, client, user):
    from html import unescape

    login(client, *user)
    headers = {"Authorization": f"Bearer {token_for(app, user[0])}"}
    job = client.post("/api/v1/jobs?wait=5", json={"service": "toy", "params": {"count": 3, "steps": 2, "seed": 70,
                                                                                  "palette": "cool"}},
                      headers=headers).get_json()
    third = job["images"][2]
    html = client.get(f"/gallery/image/{third['id']}").get_data(as_text=True)
    table = html[html.index('id="recipe"'):html.index("</table>", html.index('id="recipe"'))]
    rows = dict((unescape(k), unescape(v)) for k, v in re.findall(r'<th scope="row">([^<]*)</th><td>(.*?)</td>', table))
    assert list(rows).count("Seed") == 1 and rows["Seed"] == "70"  # toy images record no seed of their own
    assert rows["Palette"] == "Cool" and rows["Invert"] == "no" and rows["Image in its job"] == "3 of 3"
    assert '"' not in "".join(rows.values())  # no JSON quotes
    assert not any(k in rows for k in ("Index", "Index in its job"))
    cards = client.get("/gallery/mine?group=0").get_data(as_text=True)
    assert cards.count("seed 70") == 3


def test_recipe_rows_show_the_images_own_seed_and_the_jobs_first_one():
    from genstudio.services.params import Param, Schema
    from genstudio.web.recipe_view import image_seed

    class Fake:  # the attributes recipe_rows reads from a service
        title = "Fake"
        schema = Schema((Param("seed", "seed"), Param("sampler", "choice", "a", choices=("a", "dpm++"),
                                                      labels=(("dpm++", "DPM-Solver++"),))))
        extra_labels = {"steps_run": "Steps run"}
        value_labels = {}

    recipe = {"service": "fake", "model": "m", "checkpoint": "c", "index": 1,
              "params": {"seed": 10, "sampler": "dpm++"}, "extra": {"seed": 11, "index": 1, "steps_run": 10}}
    assert image_seed(recipe) == 11
    assert image_seed({"params": {"seed": 5}, "extra": {"face_seed": 6}}) == 6
    assert image_seed({"params": {"seed": 5}, "extra": {}}) == 5
    assert image_seed({"params": {"plus": [1]}, "extra": {}}) is None
    app_free = __import__("flask").Flask("t")
    with app_free.test_request_context():
        __import__("flask_babel").Babel(app_free)
        from genstudio.web.recipe_view import recipe_rows

        rows = {r.label: r.value for r in recipe_rows(recipe, Fake(), 64, 64, images_in_job=4)}
    assert rows["Seed"] == "11" and rows["First seed of its job"] == "10" and rows["Sampler"] == "DPM-Solver++"
    assert rows["Steps run"] == "10" and rows["Image in its job"] == "2 of 4" and "Index" not in rows
