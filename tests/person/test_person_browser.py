"""The explorer in Debian's chromium: dragging an attribute slider changes the face; the faces tab,
the glasses demo, the interpolation animation and the latent map work end to end (tiny random models)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

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
    assert page.locator("#interp-strip img").count() == 1  # the frames are one image: one gallery item
    page.wait_for_function("() => document.querySelector('#interp-gif').naturalWidth === 128")


SHOWN = """els => els.map(img => [img.naturalWidth, img.getBoundingClientRect().width,
                                  getComputedStyle(img).imageRendering])"""


def test_2x_faces_are_twice_as_large_and_shown_at_whole_multiples(browser_page):
    """The resolution switch: 2× faces (through the up-sampler) are twice the native size, and every face, strip
    and result is shown at its own size or a whole multiple of it, pixelated: never blurred up."""
    page = browser_page
    page.goto("/person/")
    page.fill("#g-count", "3")
    page.click("#generate-faces")
    loaded = "n => { const f = [...document.querySelectorAll('#face-grid img')]; " \
             "return f.length === 3 && f.every(i => i.naturalWidth === n); }"
    page.wait_for_function(loaded, arg=16)
    native = page.eval_on_selector_all("#face-grid img", SHOWN)
    page.click("label[for=p-resolution-2x]")
    page.click("#generate-faces")
    page.wait_for_function(loaded, arg=32)
    double = page.eval_on_selector_all("#face-grid img", SHOWN)
    assert [n for n, _, _ in double] == [2 * n for n, _, _ in native] == [32] * 3
    for natural, shown, rendering in native + double:
        assert shown >= natural and shown % natural == 0 and rendering == "pixelated", (natural, shown)

    page.click("#tab-interpolate")
    page.fill("#i-frames", "4")
    page.click("#interpolate")
    page.wait_for_function("() => (document.querySelector('#interp-strip img') || {}).naturalWidth > 0")
    (natural, shown, rendering), = page.eval_on_selector_all("#interp-strip img", SHOWN)
    assert natural == 1 + 4 * 33 and shown % natural == 0 and rendering == "pixelated"
    assert "resolution=2x" in page.get_attribute("#interp-gif", "src")
    page.click("#tab-arithmetic")
    page.fill("#a-plus", "1, 2")
    page.click("#compute")
    page.wait_for_function("() => ((document.querySelector('#arith-terms .result img') || {}).style || {}).width")
    (natural, shown, _), = page.eval_on_selector_all("#arith-terms .result img", SHOWN)
    assert natural == 32 and shown % natural == 0


def test_clicked_faces_are_marked_and_each_tab_shows_its_own_results(browser_page):
    page = browser_page
    page.goto("/person/")
    expect(page.locator("#person-empty")).to_be_visible()
    page.fill("#g-count", "4")
    page.fill("#g-seed", "20")
    page.click("#generate-faces")
    faces = page.locator("#face-grid figure")
    expect(faces).to_have_count(4)
    faces.nth(1).click()
    expect(faces.nth(1)).to_have_attribute("data-role", "start")
    expect(faces.nth(1)).to_contain_text("start")
    faces.nth(3).click()
    expect(faces.nth(3)).to_have_attribute("data-role", "end")
    outline = faces.nth(3).evaluate("f => getComputedStyle(f).outlineColor")
    assert outline not in ("rgba(0, 0, 0, 0)", "transparent")  # visibly highlighted
    faces.nth(2).click()  # a third click starts again: the start moves, the end stays
    expect(faces.nth(2)).to_have_attribute("data-role", "start")
    expect(faces.nth(1)).not_to_have_attribute("data-role", "start")
    assert page.input_value("#i-seed") == "22" and page.input_value("#i-seed-b") == "23"
    assert page.input_value("#e-seed") == "22"

    page.click("#tab-interpolate")
    expect(page.locator("#face-grid")).to_be_hidden()  # the faces belong to their tab
    expect(page.locator("#person-empty")).to_be_visible()
    page.click("#interpolate")
    expect(page.locator("#interp-strip img")).to_be_visible()
    page.click("#tab-edit")
    expect(page.locator("#slider-panel")).to_be_visible()
    expect(page.locator("#interp-strip")).to_be_hidden()  # no old strip under the sliders
    page.click("#tab-generate")
    expect(page.locator("#face-grid")).to_be_visible()
    expect(page.locator("#slider-panel")).to_be_hidden()


def test_arithmetic_operators_never_end_a_line(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/person/")
    page.click("#tab-arithmetic")
    page.fill("#a-plus", "1, 2, 3, 4, 5, 6, 7, 8")
    page.fill("#a-minus", "9, 10, 11")
    page.click("#compute")
    page.wait_for_selector("#arith-terms .result img")
    rows = page.eval_on_selector_all("#arith-terms .arith-op", """ops => ops.map(op => {
        const face = op.nextElementSibling.getBoundingClientRect(), sign = op.getBoundingClientRect();
        return [Math.round(sign.top + sign.height / 2), Math.round(face.top), Math.round(face.bottom)];
    })""")
    assert len(rows) == 11  # 7 "+", 3 "−", 1 "="
    assert all(top <= middle <= bottom for middle, top, bottom in rows), rows  # each sign sits by its face
    assert len({top for _, top, _ in rows}) > 1  # the equation did wrap over several lines
    context.close()


def test_identical_requests_give_identical_files_and_one_item_per_interpolation(browser_page):
    page = browser_page
    page.goto("/person/")
    shas = []
    for _ in range(2):
        page.fill("#g-count", "1")
        page.fill("#g-seed", "1234")
        with page.expect_response(lambda r: r.request.method == "POST" and "/jobs/" in r.url) as answer:
            page.click("#generate-faces")
        shas.append(answer.value.json()["images"][0]["sha256"])
        page.wait_for_selector("#face-grid img")
    assert shas[0] == shas[1]  # same pixels and the same recipe: the same file
    page.click("#tab-interpolate")
    page.fill("#i-frames", "12")
    page.click("#interpolate")
    page.wait_for_selector("#interp-strip img")
    page.reload()  # the service page lists this visitor's images
    assert page.locator("#recent img").count() == 2 + 1  # two faces (one file each) and one interpolation


def test_results_are_scrolled_into_view_on_a_phone(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/person/")
    page.fill("#g-count", "4")
    page.click("#generate-faces")
    page.wait_for_selector("#face-grid img")
    start = page.eval_on_selector("#faces-panel", "el => el.getBoundingClientRect().top + window.scrollY")
    assert start > 844  # below the form: off screen unless the page scrolls to it
    page.wait_for_function("""() => {
        const r = document.querySelector('#faces-panel').getBoundingClientRect();
        return r.top >= -1 && r.top < window.innerHeight - 100;
    }""")  # the smooth scroll brings the faces on screen
    context.close()


def test_latent_map_click_decodes_a_face(browser_page):
    page = browser_page
    page.goto("/person/map")
    page.wait_for_function("() => document.querySelector('#map-canvas').dataset.points === '5'")  # the GAN's plane
    assert page.is_checked("#map-source-gan")
    page.click("label[for=map-source-autoencoder]")  # the original's 2-D autoencoder map
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
