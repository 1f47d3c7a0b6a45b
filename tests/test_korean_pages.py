"""Every page of the studio, in Korean, with the real services and the shipped models, in the states a user
meets (results, errors, a face found, the recipe of each kind of image): no English text is left.

English that may stay: names in code (models, parameters, commands), quoted names, and conftest.LATIN_NAMES.
"""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect

from .conftest import edit_photo, english_words, korean_context

pytestmark = pytest.mark.browser


def png(array) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


class Checker:
    """Collects the English words each page state shows, so one run reports all of them at once."""

    def __init__(self, page):
        self.page = page
        self.found: dict[str, list[str]] = {}

    def __call__(self, state: str) -> None:
        self.page.wait_for_timeout(150)  # let scripts finish writing
        words = english_words(self.page)
        if words:
            self.found[state] = words


@pytest.fixture
def photos(tmp_path) -> dict:
    """scikit-image's astronaut (a face) and coffee (none) as PNG files to upload."""
    from skimage import data

    out = {"astronaut": tmp_path / "astronaut.png", "coffee": tmp_path / "coffee.png"}
    out["astronaut"].write_bytes(png(data.astronaut()))
    out["coffee"].write_bytes(png(data.coffee()))
    return out


@pytest.fixture
def korean_page(browser, live_server):
    context = korean_context(browser, live_server)
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def test_service_pages_in_korean(korean_page, photos):
    page = korean_page
    photo, coffee = photos["astronaut"], photos["coffee"]
    check = Checker(page)

    page.goto("/")
    page.wait_for_function("() => [...document.querySelectorAll('#service-cards img.example')]"
                           ".every(img => img.complete && img.naturalWidth > 0)")  # the makeup card is drawn
    check("landing")

    page.goto("/pokemon/")
    check("pokemon")
    page.eval_on_selector("#field-count", "el => { el.value = 1; el.dispatchEvent(new Event('input')); }")
    page.fill("#field-seed", "5")
    page.click("#generate")
    page.wait_for_selector("#results .result img")
    page.wait_for_selector("[data-seed-used]:not(.d-none)")
    check("pokemon result")

    page.goto("/makeup/")
    check("makeup")
    page.set_input_files("#field-image", files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hi"}])
    expect(page.locator('[data-error-for="image"]')).not_to_be_empty()
    check("makeup text file")
    page.set_input_files("#field-image", str(coffee))
    expect(page.locator('[data-error-for="image"]')).to_contain_text("얼굴")
    check("makeup no face")
    edit_photo(page, photo, submit=False)
    check("makeup face found")
    page.select_option("#field-hair", "keep")
    page.click("#generate")
    check("makeup nothing to change")
    page.select_option("#field-hair", "blond")
    page.click("#generate")
    expect(page.locator("#compare")).to_be_visible()
    check("makeup result")

    page.goto("/person/")
    check("person")
    page.fill("#g-count", "4")
    page.click("#generate-faces")
    page.wait_for_selector("#face-grid img")
    page.locator("#face-grid figure").first.click()
    check("person faces")
    page.click("#tab-interpolate")
    page.click("#interpolate")
    page.wait_for_selector("#interp-strip img")
    check("person interpolation")
    page.click("#tab-edit")
    page.wait_for_selector("#slider-scores .score-row")
    check("person sliders")
    page.click("#tab-arithmetic")
    page.click("#glasses-demo")
    page.wait_for_function("() => document.querySelector('#arith-verdict').textContent.length > 0")
    check("person arithmetic")
    page.goto("/person/map")
    page.wait_for_selector("#map-attribute option", state="attached")
    check("latent map")
    assert check.found == {}


def test_account_gallery_recipes_and_other_pages_in_korean(korean_page, photos):
    page = korean_page
    check = Checker(page)

    page.goto("/auth/signup")
    check("sign up")
    page.fill("#username", "user1")
    page.fill("#password", "password-1234")
    page.fill("#confirm", "password-1234")
    page.click("#signup-form [type=submit]")
    check("welcome")

    page.goto("/pokemon/")
    page.eval_on_selector("#field-count", "el => { el.value = 2; el.dispatchEvent(new Event('input')); }")
    page.click("#generate")
    page.wait_for_selector("#results .result img")
    page.goto("/makeup/")
    edit_photo(page, photos["astronaut"])
    page.goto("/person/")
    page.click("#generate-faces")
    page.wait_for_selector("#face-grid img")
    for tab, button in (("#tab-interpolate", "#interpolate"), ("#tab-arithmetic", "#glasses-demo")):
        page.click(tab)
        with page.expect_response(lambda r: r.request.method == "POST" and "/jobs/" in r.url):
            page.click(button)

    page.goto("/gallery/mine")
    expect(page.locator(".image-card")).to_have_count(5)  # one card per job
    check("my images")
    page.goto("/gallery/mine?group=0")
    check("every image")
    for href in page.eval_on_selector_all(".image-card a.image-card-link", "links => links.map(a => a.href)"):
        page.goto(href)
        check(f"image page {page.locator('#recipe').inner_text()[:40]!r}")
        if page.locator("#share-toggle").count():
            page.click("#share-toggle")
    page.goto("/gallery/mine")
    page.click(".job-images-link")  # the newest job of several images: the person page's 16 faces
    expect(page.locator(".image-card")).to_have_count(16)
    check("one job's images")
    page.goto("/auth/profile")
    check("profile")
    page.goto("/gallery/public")
    check("public gallery")
    page.goto("/api/docs")
    check("API page")
    page.goto("/no-such-page")
    check("not found")
    page.click("#user-menu")
    page.click("#logout")
    page.goto("/auth/login")
    check("log in")
    page.goto("/")
    check("landing with shared images")
    assert check.found == {}


def test_the_check_sees_english_where_a_visitor_would(browser, live_server):
    """english_words is not vacuous: it reports English text, placeholders and options, and skips code."""
    context = korean_context(browser, live_server)
    page = context.new_page()
    page.set_content('<html lang="ko"><body><p>안녕하세요 1 face found.</p><input placeholder="for example 12">'
                     '<select><option>Dpm++</option></select><code>person-wgan</code>'
                     '<p class="d-none" hidden>Hidden words</p><a lang="en">English</a></body></html>')
    assert english_words(page) == ["Dpm++", "example", "face", "for", "found"]
    context.close()
