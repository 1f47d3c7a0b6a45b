"""Shared fixtures. Service tests reuse these for their own API and browser tests.

App and clients
- `weights_root`: where GENSTUDIO_WEIGHTS points for the app (default: the repo's weights/). Override this
  fixture in a test module to point at tiny weights made by the test.
- `services`: the SERVICES config for `app` (default: the real genstudio.services.SERVICE_MODULES, strict:
  an import error fails the test). Override it to test with a subset or with Service instances.
- `db_url`: None = SQLite file in the temp instance folder. Parametrize with `pg_url` for PostgreSQL.
- `make_app(**config)`: create_app with a temp instance folder, migrations applied, the embedded runner
  started; shut down after the test. `app` is make_app() with the fixtures above.
- `client`: app.test_client(); `login(client, name, password)` logs a test client in.
- `user`: a (username, password) account; `api_headers`: {"Authorization": "Bearer <token>"} for `user`.
- `wait_job(client, url, headers)`: poll a job URL until it is done or failed; returns the job JSON.

Databases
- `pg_url`: a fresh, empty PostgreSQL database on the server `make test` starts (GENSTUDIO_TEST_PG_URL);
  skipped when that variable is not set (outside `make test`), dropped after the test.

Browser (mark tests @pytest.mark.browser)
- `live_server`: the `app` served by a real werkzeug server thread on a free port; its base URL.
- `browser`: Debian's chromium through Playwright (session-wide); `browser_page`: a fresh page (own cookies).
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from genstudio import weights as weights_module
from genstudio.services import SERVICE_MODULES

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def weights_root() -> Path:
    return weights_module.REPO_WEIGHTS


@pytest.fixture
def services() -> tuple:
    return SERVICE_MODULES


@pytest.fixture
def db_url() -> str | None:
    return None


@pytest.fixture
def pg_url() -> Iterator[str]:
    admin = os.environ.get("GENSTUDIO_TEST_PG_URL")
    if not admin:
        pytest.skip("GENSTUDIO_TEST_PG_URL is not set (`make test` starts PostgreSQL and sets it)")
    import psycopg

    name = "gs_test_" + secrets.token_hex(4)
    plain = admin.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = plain.rsplit("/", 1)[0]
    yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def make_app(tmp_path: Path, monkeypatch, weights_root, services, db_url) -> Iterator[Callable[..., Flask]]:
    from flask_migrate import upgrade

    from genstudio.app import MIGRATIONS, create_app
    from genstudio.extensions import db, studio

    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(weights_root))
    apps: list[Flask] = []

    def factory(**config) -> Flask:
        instance = tmp_path / f"instance{len(apps)}"
        cfg = {
            "INSTANCE_PATH": instance, "SERVICES": services, "SERVICES_STRICT": True, "JOB_START": False,
            "SECRET_KEY": "test-" + secrets.token_hex(8), "TESTING": False, "TORCH_THREADS": 1,
        }
        if db_url:
            cfg["SQLALCHEMY_DATABASE_URI"] = db_url
        cfg.update(config)
        app = create_app(cfg)
        with app.app_context():
            upgrade(directory=str(MIGRATIONS))
        if config.get("JOB_START", True):
            studio(app).runner.start()
        apps.append(app)
        return app

    yield factory
    from sqlalchemy import update

    from genstudio.db import ACTIVE, Job

    for app in apps:
        with app.app_context():  # stop what a test left running, quickly
            db.session.execute(update(Job).where(Job.status.in_(ACTIVE)).values(cancel_requested=True))
            db.session.commit()
        studio(app).runner.shutdown(wait=True)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def user(app: Flask) -> tuple[str, str]:
    return create_user(app, "tester", "correct horse battery")


def create_user(app: Flask, name: str, password: str) -> tuple[str, str]:
    from genstudio.db import User
    from genstudio.extensions import db

    with app.app_context():
        row = User(username=name)
        row.set_password(password)
        db.session.add(row)
        db.session.commit()
    return name, password


def token_for(app: Flask, name: str) -> str:
    from genstudio.db import ApiToken, User
    from genstudio.extensions import db

    with app.app_context():
        _row, token = ApiToken.issue(User.by_name(name), "tests")
        db.session.commit()
    return token


@pytest.fixture
def api_headers(app: Flask, user) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(app, user[0])}"}


def csrf_token(client: FlaskClient, path: str = "/auth/login") -> str:
    import re

    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client: FlaskClient, name: str, password: str) -> None:
    token = csrf_token(client)
    response = client.post("/auth/login", data={"username": name, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def wait_job(client: FlaskClient, url: str, headers: dict | None = None, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(url, headers=headers or {}).get_json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job at {url} did not finish in {timeout}s: {job}")


# ---- browser ----

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


# ---- language ----

# Names that stay as they are in Korean text: the product, formats, standards, samplers, models and datasets.
LATIN_NAMES = {"GenStudio", "API", "OpenAPI", "JSON", "PNG", "JPEG", "GIF", "WebP", "px", "UTC", "CSRF", "Retry-After",
               "DDPM", "DDIM", "DPM-Solver++", "CelebA", "GAN", "WGAN-GP", "StarGAN", "DCGAN"}
_VISIBLE_TEXT = """() => {
    const skipped = (el) => el.closest('code, pre, script, style, [translate="no"], [lang]:not([lang="ko"])');
    const shown = (el) => el.checkVisibility({ visibilityProperty: true });
    const out = [document.title];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const el = walker.currentNode.parentElement;
        if (el && !skipped(el) && shown(el)) out.push(walker.currentNode.textContent);
    }
    document.querySelectorAll('[placeholder], [title], [alt], [aria-label]').forEach((el) => {
        if (skipped(el) || !shown(el)) return;
        ['placeholder', 'title', 'alt', 'aria-label'].forEach((a) => {
            if (el.getAttribute(a)) out.push(el.getAttribute(a));
        });
    });
    document.querySelectorAll('select').forEach((s) => {
        if (!skipped(s) && shown(s)) s.querySelectorAll('option').forEach((o) => out.push(o.textContent));
    });
    return out;
}"""


def english_words(page) -> list[str]:
    """Latin-letter words a visitor of a Korean page sees (text, placeholders, titles, alt text, options) outside
    code, quoted names, other languages' labels (lang="en") and LATIN_NAMES; ids and numbers are ignored."""
    import re

    found: list[str] = []
    for text in page.evaluate(_VISIBLE_TEXT):
        text = re.sub(r'"[^"]*"|`[^`]*`', " ", text)  # quoted names: "params", `field`
        for word in re.findall(r"(?<![A-Za-z0-9_+-])[A-Za-z][A-Za-z0-9_+\-]*", text):  # whole words only
            if word in LATIN_NAMES or len(word) == 1 or re.search(r"\d|_", word) or re.fullmatch(r"[\w-]{12}", word):
                continue
            found.append(word)
    return sorted(set(found))


def korean_context(browser, base_url: str, **options):
    """A browser context whose visitor reads Korean (navigator language and Accept-Language)."""
    options.setdefault("viewport", {"width": 1280, "height": 900})
    return browser.new_context(base_url=base_url, locale="ko-KR",
                               extra_http_headers={"Accept-Language": "ko-KR,ko;q=0.9"}, **options)


def edit_photo(page, photo, submit: bool = True) -> None:
    """On the makeup page: upload a photo, wait for its face, and (submit) edit it and wait for the before/after."""
    from playwright.sync_api import expect

    page.set_input_files("#field-image", str(photo))
    expect(page.locator(".face-box.selected")).to_have_count(1)
    if submit:
        page.click("#generate")
        expect(page.locator("#compare")).to_be_visible(timeout=30_000)
