"""The explorer in Debian's chromium: dragging an attribute slider changes the face; the faces tab,
the glasses demo, the interpolation animation and the latent map work end to end (tiny random models)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def face_pixels(page, selector: str) -> list[int]:
    """The displayed image's pixels, read back through a canvas (what the user actually sees)."""
    return page.eval_on_selector(selector, """img => {
        const c = document.createElement('canvas');
        c.width = img.naturalWidth; c.height = img.naturalHeight;
        const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
        return Array.from(ctx.getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 97 === 0));
    }""")


def test_dragging_a_slider_changes_the_face(browser_page):
    page = browser_page
    page.goto("/person/")
    page.click("#tab-edit")
    page.wait_for_function("() => document.querySelector('#slider-face').naturalWidth > 0")
    before = face_pixels(page, "#slider-face")
    slider = page.locator("#s-Smiling")
    box = slider.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.95, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    assert float(slider.input_value()) > 3
    page.wait_for_function("""() => {
        const img = document.querySelector('#slider-face');
        return img.dataset.url && img.dataset.url.includes('d.Smiling') && img.complete && img.naturalWidth > 0;
    }""")
    page.wait_for_timeout(200)  # let the last queued preview land
    after = face_pixels(page, "#slider-face")
    assert after != before
    page.wait_for_selector("#slider-scores .score-row")  # the classifier's reading of the edited face
    page.click("#sliders-reset")
    page.wait_for_function("() => !document.querySelector('#slider-face').dataset.url.includes('d.')")
    page.wait_for_timeout(200)
    assert face_pixels(page, "#slider-face") == before


def test_faces_glasses_demo_and_interpolation(browser_page):
    page = browser_page
    page.goto("/person/")
    page.fill("#g-count", "6")
    page.fill("#g-seed", "100")
    page.click("#generate-faces")
    page.wait_for_selector("#face-grid img")
    assert page.locator("#face-grid img").count() == 6
    assert page.locator("#face-grid img").first.get_attribute("data-seed") == "100"

    page.click("#tab-arithmetic")
    page.click("#glasses-demo")
    page.wait_for_selector("#arith-terms .result img")
    assert page.locator("#arith-terms img").count() == 10  # 6 added, 3 subtracted, 1 result
    assert page.input_value("#a-minus") == "7, 8, 9"
    page.wait_for_function("() => document.querySelector('#arith-verdict').textContent.includes('Eyeglasses')")

    page.click("#tab-interpolate")
    page.fill("#i-frames", "5")
    page.click("#interpolate")
    page.wait_for_selector("#interp-strip img")
    assert page.locator("#interp-strip img").count() == 5
    page.wait_for_function("() => document.querySelector('#interp-gif').naturalWidth === 128")


def test_latent_map_click_decodes_a_face(browser_page):
    page = browser_page
    page.goto("/person/map")
    page.wait_for_function("() => document.querySelector('#map-canvas').dataset.points === '3'")
    page.wait_for_function("() => document.querySelector('#map-face').naturalWidth > 0")
    first = face_pixels(page, "#map-face")
    page.select_option("#map-attribute", "Smiling")
    page.locator("#map-canvas").click(position={"x": 20, "y": 20})
    page.wait_for_function("() => document.querySelector('#map-face').dataset.x !== '0.000'")
    page.wait_for_function("() => document.querySelector('#map-face').complete")
    page.wait_for_timeout(100)
    assert float(page.get_attribute("#map-face", "data-x")) < -1.5  # top-left of the extent [-2, 2]
    assert face_pixels(page, "#map-face") != first
    page.check("#map-tiles")
