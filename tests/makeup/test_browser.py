"""A user in Debian's chromium uploads a photo, sees the face found, picks blond hair and gets the
before/after comparison of the edited photo."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ..conftest import edit_photo
from .conftest import encode

pytestmark = pytest.mark.browser


def open_makeup_page(page, astronaut, tmp_path) -> tuple[list[str], str]:
    """The makeup page with the astronaut saved for upload: (the page's JS errors, the photo's path)."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    photo = tmp_path / "astronaut.png"
    photo.write_bytes(encode(astronaut))
    page.goto("/makeup/")
    return errors, str(photo)


def test_upload_pick_blond_and_compare(browser_page, astronaut, tmp_path):
    page = browser_page
    errors, photo = open_makeup_page(page, astronaut, tmp_path)
    page.set_input_files("#field-image", str(photo))
    expect(page.locator("#face-summary")).to_have_text("1 face found.")
    expect(page.locator(".face-box.selected")).to_have_count(1)
    page.select_option("#field-hair", "blond")
    page.click("#generate")
    expect(page.locator("#compare")).to_be_visible(timeout=30_000)
    page.wait_for_function("() => document.getElementById('ba-after').naturalWidth === 512")
    page.wait_for_function("() => document.getElementById('ba-before').naturalWidth === 512")
    page.eval_on_selector("#ba-range", "el => { el.value = 20; el.dispatchEvent(new Event('input')); }")
    pos = page.eval_on_selector("#before-after", "el => el.style.getPropertyValue('--pos')")
    assert pos == "20%"
    assert page.get_attribute("#ba-download", "href").endswith("download=1")
    assert errors == []


def test_photo_without_a_face_is_explained(browser_page, tmp_path):
    from skimage import data

    page = browser_page
    photo = tmp_path / "coffee.png"
    photo.write_bytes(encode(data.coffee()))
    page.goto("/makeup/")
    page.set_input_files("#field-image", str(photo))
    expect(page.locator('[data-error-for="image"]')).to_contain_text("No face was found", timeout=30_000)
    page.select_option("#field-hair", "gray")
    page.click("#generate")
    expect(page.locator('[data-error-for="image"]')).to_contain_text("No face was found", timeout=30_000)
    expect(page.locator("#compare")).to_be_hidden()


def test_face_picker_with_two_faces(browser_page, astronaut, tmp_path):
    import cv2
    import numpy as np

    page = browser_page
    canvas = np.full((600, 900, 3), 90, np.uint8)
    canvas[44:556, 20:532] = astronaut
    canvas[200:456, 600:856] = cv2.resize(astronaut, (256, 256), interpolation=cv2.INTER_AREA)
    photo = tmp_path / "two.png"
    photo.write_bytes(encode(canvas))
    page.goto("/makeup/")
    page.set_input_files("#field-image", str(photo))
    expect(page.locator(".face-box")).to_have_count(2, timeout=30_000)
    assert page.input_value("#field-face") == "0"  # the largest face is picked by default
    page.click('.face-box[data-index="1"]')
    expect(page.locator('.face-box[data-index="1"]')).to_have_class("face-box selected")
    assert page.input_value("#field-face") == "1"
    page.select_option("#field-hair", "keep")  # the page starts on blond hair: a change from the first click
    page.select_option("#field-makeup", "add")
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/jobs/")) as request:
        page.click("#generate")
    job = request.value.response().json()  # the job as created: its params are what the page sent
    assert job["params"]["face"] == 1 and job["params"]["makeup"] == "add" and job["params"]["hair"] == "keep"
    expect(page.locator("#compare")).to_be_visible(timeout=30_000)


def test_webcam_capture_goes_through_the_face_check(browser, live_server):
    from ..conftest import CHROMIUM, CHROMIUM_ARGS

    fake_camera = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    cam = browser.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + fake_camera)
    try:
        context = cam.new_context(base_url=live_server, permissions=["camera"])
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto("/makeup/")
        page.click("#webcam-start")
        expect(page.locator("#webcam-snap")).to_be_visible()
        page.wait_for_function("() => document.getElementById('webcam').videoWidth > 0")
        with page.expect_response(lambda r: r.url.endswith("/makeup/faces")) as response:
            page.click("#webcam-snap")
        assert response.value.status == 422  # Chromium's fake camera films a test pattern, not a face
        expect(page.locator('[data-error-for="image"]')).to_contain_text("No face was found")
        expect(page.locator("#webcam")).to_be_hidden()  # the camera is closed after the snapshot
        assert page.get_attribute("#picker-image", "src").startswith("blob:")  # the snapshot is shown
    finally:
        cam.close()


def test_first_click_edits_and_all_keep_is_explained_before_sending(browser_page, astronaut, tmp_path):
    page = browser_page
    photo = tmp_path / "astronaut.png"
    photo.write_bytes(encode(astronaut))
    page.goto("/makeup/")
    assert page.input_value("#field-hair") == "blond"  # a change is chosen from the start
    page.set_input_files("#field-image", str(photo))
    expect(page.locator(".face-box.selected")).to_have_count(1)
    page.click("#generate")  # the very first click edits the photo
    expect(page.locator("#compare")).to_be_visible(timeout=30_000)
    page.select_option("#field-hair", "keep")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if r.method == "POST" else None)
    page.click("#generate")
    expect(page.locator('[data-error-for="hair"]')).to_contain_text("Choose at least one change")
    assert not any(url.endswith("/jobs/") for url in requests)  # nothing was sent


def test_a_text_file_shows_no_broken_picture_and_a_new_photo_clears_the_old_result(
        browser_page, astronaut, tmp_path):
    from skimage import data

    page = browser_page
    photo, coffee = tmp_path / "astronaut.png", tmp_path / "coffee.png"
    photo.write_bytes(encode(astronaut))
    coffee.write_bytes(encode(data.coffee()))
    page.goto("/makeup/")
    page.set_input_files("#field-image", files=[{"name": "notes.txt", "mimeType": "text/plain",
                                                 "buffer": b"not an image at all"}])
    expect(page.locator('[data-error-for="image"]')).to_contain_text("not an image")
    expect(page.locator("#face-picker")).to_be_hidden()  # no broken-image icon
    page.set_input_files("#field-image", str(photo))
    expect(page.locator("#face-picker")).to_be_visible()
    page.click("#generate")
    expect(page.locator("#compare")).to_be_visible(timeout=30_000)
    expect(page.locator("#results .result")).to_have_count(1)
    page.set_input_files("#field-image", str(coffee))  # a photo without a face
    expect(page.locator('[data-error-for="image"]')).to_contain_text("No face was found", timeout=30_000)
    expect(page.locator("#compare")).to_be_hidden()  # the old before/after is gone
    expect(page.locator("#results .result")).to_have_count(0)


def test_phone_scrolls_to_the_result_and_zooms_to_the_face(browser, live_server, astronaut, tmp_path):
    photo = tmp_path / "astronaut.png"
    photo.write_bytes(encode(astronaut))
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto("/makeup/")
    edit_photo(page, photo)
    page.wait_for_function("() => document.getElementById('before-after').dataset.faceWidth")
    page.wait_for_function("""() => {
        const r = document.getElementById('compare').getBoundingClientRect();
        return r.top >= -1 && r.top < window.innerHeight - 100;
    }""")  # the result is brought on screen, not left below the form
    frame = page.eval_on_selector("#before-after", "el => el.clientWidth")
    zoomed = int(page.get_attribute("#before-after", "data-face-width"))
    assert zoomed >= 0.4 * frame  # the face fills a good part of the frame
    page.uncheck("#ba-zoom")
    whole = int(page.get_attribute("#before-after", "data-face-width"))
    assert whole < 0.3 * frame < zoomed  # the whole photo leaves the face small on a phone
    page.check("#ba-zoom")
    page.eval_on_selector("#ba-range", "el => { el.value = 30; el.dispatchEvent(new Event('input')); }")
    clip = page.eval_on_selector("#ba-after", "el => el.style.clipPath")
    assert clip.startswith("inset(0px 0px 0px") and clip != "inset(0px 0px 0px 30%)"  # split in the photo's frame
    context.close()


def test_lipstick_shade_round_trips(browser_page, astronaut, tmp_path):
    """A swatch turns lipstick (or eye shadow) on with its shade; the job gets both; "use these settings" puts
    them back."""
    page = browser_page
    errors, photo = open_makeup_page(page, astronaut, tmp_path)
    assert not page.is_checked("#field-lips")
    assert page.eval_on_selector("#lip-shades", "el => el.classList.contains('off')")
    page.set_input_files("#field-image", str(photo))
    expect(page.locator(".face-box.selected")).to_have_count(1)
    page.select_option("#field-hair", "keep")
    page.click('.lip-swatch[data-shade="#7e2348"]')
    assert page.is_checked("#field-lips") and page.input_value("#field-lip_shade") == "#7e2348"
    expect(page.locator(".lip-swatch.selected")).to_have_count(1)
    page.click('.eye-swatch[data-shade="#4a4650"]')  # eye shadow's picker works the same way, on its own
    assert page.is_checked("#field-eyes") and not page.is_checked("#field-blush")
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/jobs/")) as request:
        page.click("#generate")  # cosmetics alone are a change
    job = request.value.response().json()
    assert job["params"]["lips"] == "on" and job["params"]["lip_shade"] == "#7e2348"
    assert job["params"]["eyes"] == "on" and job["params"]["eye_shade"] == "#4a4650"
    assert job["params"]["blush"] == "off" and "blush_shade" not in job["params"]
    assert job["params"]["hair"] == "keep"
    expect(page.locator("#compare")).to_be_visible(timeout=30_000)
    image_page = page.get_attribute("#ba-open", "href")
    page.goto("/makeup/?recipe=" + image_page.rstrip("/").split("/")[-1])
    assert page.is_checked("#field-lips") and page.input_value("#field-lip_shade") == "#7e2348"
    assert page.input_value("#field-hair") == "keep"
    expect(page.locator('.lip-swatch.selected[data-shade="#7e2348"]')).to_have_count(1)
    assert page.is_checked("#field-eyes") and page.input_value("#field-eye_shade") == "#4a4650"
    assert not page.is_checked("#field-blush")
    page.uncheck("#field-lips")  # off again: every change on "keep" and no cosmetic is explained, not sent
    page.uncheck("#field-eyes")
    page.set_input_files("#field-image", str(photo))
    expect(page.locator(".face-box.selected")).to_have_count(1)
    page.click("#generate")
    expect(page.locator('[data-error-for="hair"]')).to_contain_text("lipstick")
    assert errors == []
