"""A real user in Debian's chromium: sign up, log in, run a job and watch it, gallery, share, public feed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def set_range(page, selector: str, value) -> None:
    """Range inputs cannot be typed into; move them the way a drag would (value + input event)."""
    page.eval_on_selector(selector, "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", value)


def collect_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def test_walk_through(browser_page):
    page = browser_page
    errors = collect_errors(page)
    page.goto("/")
    expect(page.locator("#service-cards")).to_contain_text("Toy generator")

    # sign up, log out, log in
    page.get_by_role("link", name="Sign up").first.click()
    page.fill("#username", "walker")
    page.fill("#password", "walk-the-walk")
    page.fill("#confirm", "walk-the-walk")
    page.click("#signup-form [type=submit]")
    expect(page.locator("#flashes")).to_contain_text("Welcome to GenStudio, walker!")
    page.click("#user-menu")
    page.click("#logout")
    expect(page.locator("#flashes")).to_contain_text("logged out")
    page.get_by_role("link", name="Log in").click()
    page.fill("#username", "walker")
    page.fill("#password", "walk-the-walk")
    page.click("#login-form [type=submit]")
    expect(page.locator("#flashes")).to_contain_text("Logged in as walker")

    # run a job and watch its progress
    page.goto("/toy/")
    set_range(page, "#field-steps", 40)
    set_range(page, "#field-delay", 0.04)
    expect(page.locator('[data-output-for="field-steps"]')).to_have_text("40")
    page.click('[data-dice-for="field-seed"]')
    seed = page.input_value("#field-seed")
    assert seed.isdigit()
    page.click("#generate")
    status = page.locator("[data-job-status]")
    expect(status).to_contain_text(re.compile(r"Running — [1-9]\d?%"), timeout=20_000)
    width = page.eval_on_selector("[data-job-progress]", "el => parseFloat(el.style.width)")
    assert 0 < width < 100
    expect(page.locator("[data-job-preview]")).to_be_visible()
    expect(status).to_have_text("Done", timeout=30_000)
    result = page.locator("#results .result").first
    expect(result.locator("img")).to_be_visible()
    image_id = result.get_attribute("data-image-id")

    # it is in my gallery, private; share it from its page and make it again
    page.goto("/gallery/mine")
    expect(page.locator(f'[data-image-id="{image_id}"]')).to_contain_text("private")
    page.click(f'[data-image-id="{image_id}"] a')
    expect(page.locator("#recipe")).to_contain_text(seed)
    page.click("#share-toggle")
    expect(page.locator("#visibility")).to_have_text("public")
    page.click("#make-again")
    # a wait, not a speed target: on a loaded 2-core machine the re-made job can queue for over 30 s
    expect(page.locator("#again-verdict")).to_contain_text("Identical", timeout=90_000)
    page.click("#use-settings")  # back to the service with the recipe in the form
    expect(page.locator("#field-seed")).to_have_value(seed)
    expect(page.locator("#field-steps")).to_have_value("40")

    # log out; the public feed shows the image to everyone
    page.click("#user-menu")
    page.click("#logout")
    page.get_by_role("link", name="Public gallery").first.click()
    expect(page.locator(f'#gallery [data-image-id="{image_id}"]')).to_contain_text("by walker")
    assert errors == [], errors


def test_anonymous_cancel_korean_and_phone(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="ko-KR", viewport={"width": 390, "height": 844},
                                  extra_http_headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    page = context.new_page()
    errors = collect_errors(page)
    page.goto("/toy/")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator("#generate")).to_have_text("생성하기")
    expect(page.locator(".navbar-toggler")).to_be_visible()  # collapsed menu on a phone
    set_range(page, "#field-steps", 50)
    set_range(page, "#field-delay", 0.1)
    page.click("#generate")
    expect(page.locator("[data-job-status]")).to_contain_text("생성 중", timeout=20_000)
    page.click("[data-job-cancel]")
    expect(page.locator("[data-job-error]")).to_have_text("취소되었습니다.", timeout=20_000)
    expect(page.locator("[data-job-error]")).to_have_class(re.compile(r"alert-secondary"))  # the user's choice:
    expect(page.locator("[data-job-error]")).not_to_have_class(re.compile(r"alert-danger"))  # not a red error
    # switch the language from the navbar
    page.click(".navbar-toggler")
    page.click("#lang-menu")
    page.click('a[lang="en"]')
    expect(page.locator("#generate")).to_have_text("Generate")
    # a bad upload is refused with the reason, no job is created
    page.goto("/toyedit/")
    page.set_input_files("#field-image", files=[{"name": "notes.txt", "mimeType": "text/plain",
                                                 "buffer": b"not an image at all"}])
    page.click("#generate")
    expect(page.locator('[data-error-for="image"]')).to_contain_text("not an image")
    context.close()
    assert errors == [] or all("415" in e or "Failed to load resource" in e for e in errors), errors


def test_anonymous_images_outlive_the_browser(browser, live_server):
    """The page promises a day: the session cookie has that expiry, so a browser restart keeps the images."""
    import time

    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.goto("/toy/")
    page.click("#generate")
    image_id = page.locator("#results .result").first.get_attribute("data-image-id", timeout=20_000)
    cookie = next(c for c in context.cookies() if c["name"] == "session")
    assert cookie["expires"] > time.time() + 23.5 * 3600  # a dated cookie, not a browser-session one
    state = context.storage_state()
    context.close()
    state["cookies"] = [c for c in state["cookies"] if c["expires"] != -1]  # what survives closing the browser
    reopened = browser.new_context(base_url=live_server, storage_state=state)
    page = reopened.new_page()
    page.goto("/toy/")
    expect(page.locator(f'#recent a[href$="/{image_id}"]')).to_have_count(1)
    assert page.goto(f"/gallery/image/{image_id}").status == 200
    reopened.close()


def test_titles_badges_and_spacing(browser_page, app, user):
    from ..conftest import token_for

    page = browser_page
    page.goto("/")
    assert page.title().startswith("GenStudio — ") and "·" not in page.title()
    page.goto("/toyedit/")
    assert page.title() == "Toy photo editor · GenStudio"
    navbar = page.eval_on_selector("nav.navbar", "el => el.getBoundingClientRect().bottom")
    title = page.eval_on_selector("h1", "el => el.getBoundingClientRect().top")
    assert title - navbar >= 16  # the page title does not touch the navbar

    headers = {"Authorization": f"Bearer {token_for(app, user[0])}"}
    import requests

    base = page.url.split("/toyedit/")[0]
    for _ in range(2):
        requests.post(f"{base}/api/v1/jobs?wait=5", json={"service": "toy", "params": {"count": 4, "steps": 1}},
                      headers=headers, timeout=30)
    page.goto("/auth/login")
    page.fill("#username", user[0])
    page.fill("#password", user[1])
    page.click("#login-form [type=submit]")
    page.goto("/gallery/mine?group=0")
    overflow = page.eval_on_selector_all(".image-card", """cards => cards.filter(card => {
        const box = card.getBoundingClientRect();
        return [...card.querySelectorAll('.badge')].some(b => b.getBoundingClientRect().right > box.right + 0.5);
    }).length""")
    assert page.locator(".image-card").count() == 8 and overflow == 0
