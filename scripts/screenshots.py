#!/usr/bin/env python
"""Capture every page of GenStudio into docs/screenshots/*.png with Playwright and Debian's chromium.

Serves the app (real services, weights from weights/ or $GENSTUDIO_WEIGHTS) from a temporary instance
folder, signs up a demo user, makes a few images with the services whose models are installed (through
the pages themselves, so progress and results show), shares them, and photographs each page.
Re-run it after training: `make screenshots` or `.venv/bin/python scripts/screenshots.py [--out DIR]`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def serve(instance: Path):
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from genstudio.app import MIGRATIONS, create_app
    from genstudio.extensions import studio

    app = create_app({"INSTANCE_PATH": instance, "JOB_START": False, "MAX_ACTIVE_JOBS_PER_USER": 4})
    with app.app_context():
        upgrade(directory=str(MIGRATIONS))
    studio(app).runner.start()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return app, server, f"http://127.0.0.1:{server.server_port}"


def edit_astronaut(page, tmp: Path, timeout_s: float) -> None:
    """The makeup page with a result: scikit-image's astronaut photo, blond hair, the before/after slider
    through the middle of her face."""
    from PIL import Image
    from skimage import data

    photo = tmp / "astronaut.png"
    Image.fromarray(data.astronaut()).save(photo)
    page.set_input_files("#field-image", str(photo))
    page.wait_for_selector(".face-box.selected")
    page.select_option("#field-hair", "blond")
    page.click("#generate")
    try:
        page.wait_for_selector("#compare:visible", timeout=timeout_s * 1000)
        page.wait_for_function("() => document.getElementById('ba-after').naturalWidth > 0")
        page.eval_on_selector("#ba-range", "el => { el.value = 47; el.dispatchEvent(new Event('input')); }")
    except Exception as exc:  # noqa: BLE001 - the page is still worth a picture
        print(f"makeup: no result in time ({exc.__class__.__name__})")


def person_results(page) -> None:
    """The person explorer after a few faces, a picked face and the glasses demo (the arithmetic tab)."""
    page.fill("#g-count", "12")
    page.fill("#g-seed", "100")
    page.click("#generate-faces")
    page.wait_for_selector("#face-grid img")
    page.locator("#face-grid figure").nth(2).click()
    page.locator("#face-grid figure").nth(5).click()


VARIANTS = (("en", 390), ("ko", 1280), ("ko", 390))


def settle(page) -> None:
    """Before a full-page shot: scroll down so lazy images load, back to the top (where the sticky navbar
    belongs), and let images and transitions settle."""
    page.evaluate("window.scrollTo({top: document.body.scrollHeight, behavior: 'instant'})")
    page.wait_for_timeout(300)
    page.evaluate("window.scrollTo({top: 0, behavior: 'instant'})")
    page.wait_for_timeout(400)


def review(browser, base: str, out: Path, tmp: Path, job_timeout: float) -> None:
    """Every page in English at 390 px and in Korean at 1280 and 390 px, as `<page>-<lang>-<width>.png`, for
    a person to look at (not committed): results, a face found, the recipes of each kind of image."""
    for lang, width in VARIANTS:
        review_variant(browser, base, out, tmp, job_timeout, lang, width)


def review_variant(browser, base: str, out: Path, tmp: Path, job_timeout: float, lang: str, width: int) -> None:
    headers = {"Accept-Language": "ko-KR,ko;q=0.9" if lang == "ko" else "en"}
    ctx = browser.new_context(base_url=base, viewport={"width": width, "height": 860 if width > 500 else 844},
                              locale="ko-KR" if lang == "ko" else "en-US", extra_http_headers=headers)
    page = ctx.new_page()
    page.set_default_timeout(30_000)

    def shot(name: str) -> None:
        settle(page)
        path = out / f"{name}-{lang}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        print("captured", path)

    page.goto("/auth/login")
    page.fill("#username", "demo")
    page.fill("#password", "demo-password")
    page.click("#login-form [type=submit]")
    page.goto("/")
    shot("landing")
    page.goto("/pokemon/")
    page.click("#generate")
    page.wait_for_selector("#results .result img", timeout=job_timeout * 1000)
    shot("service-pokemon")
    page.goto("/makeup/")
    edit_astronaut(page, tmp, job_timeout)
    shot("service-makeup")
    page.goto("/person/")
    person_results(page)
    shot("service-person")
    page.click("#tab-interpolate")
    page.click("#interpolate")
    page.wait_for_selector("#interp-strip img")
    shot("service-person-interpolate")
    page.click("#tab-arithmetic")
    if page.locator("#glasses-demo").count():
        page.click("#glasses-demo")
        page.wait_for_selector("#arith-terms .result img")
    shot("service-person-arithmetic")
    page.goto("/person/map")
    shot("person-map")
    page.goto("/gallery/mine")
    shot("gallery-mine")
    for service in ("pokemon", "makeup", "person"):
        page.goto(f"/gallery/mine?service={service}")
        card = page.locator("#gallery .image-card-link").first
        if card.count():
            card.click()
            shot(f"image-{service}")
    page.goto("/auth/profile")
    shot("profile")
    page.goto("/gallery/public")
    shot("gallery-public")
    page.goto("/api/docs")
    shot("api-docs")
    page.goto("/no-such-page")
    shot("not-found")
    ctx.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--job-timeout", type=float, default=240.0, help="seconds to wait for each image")
    parser.add_argument("--review", metavar="DIR", help="also photograph every page in both languages at 1280 and "
                                                        "390 px into DIR (to look at; not committed)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    from genstudio.extensions import studio

    with tempfile.TemporaryDirectory() as tmp:
        app, server, base = serve(Path(tmp))
        services = list(studio(app).registry)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            ctx = browser.new_context(base_url=base, viewport={"width": 1280, "height": 860},
                                      locale="en-US", extra_http_headers={"Accept-Language": "en"})
            page = ctx.new_page()
            page.set_default_timeout(30_000)

            def shot(name: str, full: bool = True) -> None:
                settle(page)
                page.screenshot(path=str(out / f"{name}.png"), full_page=full)
                print("captured", out / f"{name}.png")

            page.goto("/auth/signup")
            shot("signup", full=False)
            page.fill("#username", "demo")
            page.fill("#password", "demo-password")
            page.fill("#confirm", "demo-password")
            page.click("#signup-form [type=submit]")

            for service in services:
                page.goto(f"/{service.name}/")
                # the generic page's button, else the first submit button of a custom page
                button = page.locator("#generate")
                if not button.count():
                    button = page.locator("main form button[type=submit]:visible").first
                if service.status() == "ready" and service.name == "person":
                    person_results(page)
                elif service.status() == "ready" and not service.accepts_upload and button.count() and \
                        button.is_enabled():
                    button.click()
                    try:
                        page.wait_for_selector('main img[src*="/gallery/image/"]', timeout=args.job_timeout * 1000)
                    except Exception as exc:  # noqa: BLE001 - a slow model still gets its page captured
                        print(f"{service.name}: no result in time ({exc.__class__.__name__})")
                elif service.status() == "ready" and service.name == "makeup":
                    edit_astronaut(page, Path(tmp), args.job_timeout)
                shot(f"service-{service.name}")

            page.goto("/gallery/mine")
            shot("gallery-mine")
            first = page.locator("#gallery .image-card a").first
            if first.count():
                first.click()
                if page.locator("#share-toggle").count():
                    page.click("#share-toggle")
                shot("image-page")
            page.goto("/auth/profile")
            page.fill("#name", "my script")
            page.click("#token-form [type=submit]")
            shot("profile")
            page.click("#user-menu")
            page.click("#logout")
            page.goto("/")
            page.wait_for_function("() => [...document.querySelectorAll('#service-cards img.example')]"
                                   ".every(img => img.complete)")  # the makeup card is drawn on first view
            shot("landing")
            page.goto("/gallery/public")
            shot("gallery-public")
            page.goto("/auth/login")
            shot("login", full=False)

            korean = browser.new_context(base_url=base, viewport={"width": 390, "height": 844}, locale="ko-KR",
                                         extra_http_headers={"Accept-Language": "ko-KR,ko;q=0.9"},
                                         device_scale_factor=2, is_mobile=True, has_touch=True)
            page = korean.new_page()
            page.goto("/")
            page.wait_for_function("() => [...document.querySelectorAll('#service-cards img.example')]"
                                   ".every(img => img.complete)")
            shot("landing-phone-ko", full=False)
            if args.review:
                Path(args.review).mkdir(parents=True, exist_ok=True)
                review(browser, base, Path(args.review), Path(tmp), args.job_timeout)
            browser.close()
        server.shutdown()
        studio(app).runner.shutdown(wait=False)


if __name__ == "__main__":
    main()
