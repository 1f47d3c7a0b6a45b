"""The Pokémon page in Debian's chromium: pick a type, generate, watch the live denoising preview, get the grid."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_generate_shows_live_preview_then_results(browser_page):
    page = browser_page
    page.goto("/pokemon/")
    page.click('[data-type-chip="water"]')
    assert page.locator("#field-type").input_value() == "water"
    assert page.locator('[data-type-chip="water"]').get_attribute("aria-pressed") == "true"
    page.select_option("#field-sampler", "ddpm")  # 1000 steps: long enough to watch the preview update
    page.locator("#field-count").fill("2")  # a range input: fill() sets its value
    page.fill("#field-seed", "123")
    page.click("#generate")
    page.wait_for_function("() => { const p = document.querySelector('[data-job-preview]');"
                           " return p && !p.classList.contains('d-none') && p.src.length > 0; }", timeout=60_000)
    first = page.get_attribute("[data-job-preview]", "src")
    page.wait_for_function("(first) => { const p = document.querySelector('[data-job-preview]');"
                           " return p.classList.contains('d-none') || p.src !== first; }", arg=first, timeout=60_000)
    page.wait_for_selector("[data-job-results] .result img", timeout=120_000)
    assert page.locator("[data-job-results] .result").count() == 2
    page.wait_for_function("() => !document.querySelector('[data-seed-used]').classList.contains('d-none')")
    assert page.locator("[data-seed-used] code").inner_text() == "123"


def test_variations_vary_the_clicked_image(browser_page):
    """"Variations" on the second image asks for that image's own seed with a small variation strength."""
    page = browser_page
    page.goto("/pokemon/")
    page.locator("#field-count").fill("2")
    page.fill("#field-steps", "2")
    page.fill("#field-seed", "500")
    page.click("#generate")
    page.wait_for_selector("[data-job-results] .result img", timeout=120_000)
    first_job = page.locator("[data-job-results] .result").first.get_attribute("data-job-id")
    page.locator("[data-job-results] .result").nth(1).locator('[data-action="variations"]').click()
    page.wait_for_function("(first) => { const r = document.querySelector('[data-job-results] .result');"
                           " return r && r.dataset.jobId !== first; }", arg=first_job, timeout=120_000)
    new_job = page.locator("[data-job-results] .result").first.get_attribute("data-job-id")
    params = page.evaluate("async (id) => (await window.GenStudio.getJob(id)).params", new_job)
    assert params["seed"] == 501 and params["variation"] == 0.25 and params["count"] == 2
