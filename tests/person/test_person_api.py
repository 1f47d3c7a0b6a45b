"""The `person` service through the jobs API (tiny random models): modes, image counts, recipes,
reproducibility, parameter errors, and the explorer's preview / map endpoints."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from genstudio.recipes import read_recipe
from genstudio.services.person import DEFAULT_MODEL

from ..conftest import wait_job


def post(client, headers, params, wait=5):
    return client.post(f"/api/v1/jobs?wait={wait}", json={"service": "person", "params": params}, headers=headers)


def run(client, headers, params) -> dict:
    response = post(client, headers, params)
    assert response.status_code in (200, 202), response.get_json()
    job = response.get_json()
    if job["status"] not in ("done", "failed"):
        job = wait_job(client, job["url"], headers)
    assert job["status"] == "done", job
    return job


def image_bytes(client, headers, image) -> bytes:
    response = client.get(image["url"], headers=headers)
    assert response.status_code == 200
    return response.data


def pixels(client, headers, image) -> bytes:
    """Decoded pixels (the PNG bytes also hold the job's own recipe, which differs per job)."""
    return Image.open(io.BytesIO(image_bytes(client, headers, image))).convert("RGB").tobytes()


def test_service_is_listed_with_its_schema(client, api_headers):
    body = client.get("/api/v1/services", headers=api_headers).get_json()
    person = {s["name"]: s for s in body["services"]}["person"]
    params = {p["name"]: p for p in person["params"]}
    assert person["status"] == "ready"
    assert {"count", "seed", "truncation", "mode", "seed_b", "frames", "directions", "plus", "minus"} <= set(params)
    assert params["mode"]["choices"] == ["generate", "interpolate", "edit", "arithmetic"]
    assert "Smiling" in params["directions"]["choices"]


def test_small_generate_answers_synchronously_and_is_reproducible(client, api_headers):
    response = post(client, api_headers, {"count": 3, "seed": 40, "truncation": 0.7})
    assert response.status_code == 200, response.get_json()  # finished within the wait: one round trip
    job = response.get_json()
    assert job["status"] == "done" and len(job["images"]) == 3
    first = [image_bytes(client, api_headers, im) for im in job["images"]]
    recipe = read_recipe(first[0])
    assert recipe["service"] == "person" and recipe["params"]["seed"] == 40 and recipe["params"]["truncation"] == 0.7
    again = run(client, api_headers, {"count": 3, "seed": 40, "truncation": 0.7})
    assert [pixels(client, api_headers, im) for im in again["images"]] == \
        [pixels(client, api_headers, im) for im in job["images"]]
    assert len({pixels(client, api_headers, im) for im in job["images"]}) == 3
    # face k of (seed 40, count 3) is the face of seed 42
    single = run(client, api_headers, {"count": 1, "seed": 42, "truncation": 0.7})
    assert pixels(client, api_headers, single["images"][0]) == pixels(client, api_headers, job["images"][2])


def test_seed_is_drawn_and_recorded_when_missing(client, api_headers):
    job = run(client, api_headers, {"count": 1})
    assert isinstance(job["params"]["seed"], int)


def frame(strip: Image.Image, index: int, side: int, columns: int) -> bytes:
    """Frame `index` of an interpolation strip (frames in reading order, 1 px apart)."""
    x, y = 1 + (index % columns) * (side + 1), 1 + (index // columns) * (side + 1)
    return strip.crop((x, y, x + side, y + side)).tobytes()


def test_interpolate_is_one_strip_ending_on_the_two_faces(client, api_headers):
    job = run(client, api_headers, {"mode": "interpolate", "seed": 5, "seed_b": 9, "frames": 10, "truncation": 1.0})
    assert len(job["images"]) == 1  # one gallery item for the whole walk
    a = run(client, api_headers, {"count": 1, "seed": 5, "truncation": 1.0})
    b = run(client, api_headers, {"count": 1, "seed": 9, "truncation": 1.0})
    open_png = lambda im: Image.open(io.BytesIO(image_bytes(client, api_headers, im))).convert("RGB")  # noqa: E731
    strip, face = open_png(job["images"][0]), open_png(a["images"][0])
    side = face.width
    assert strip.size == (1 + 8 * (side + 1), 1 + 2 * (side + 1))  # 8 frames a row
    assert frame(strip, 0, side, 8) == face.tobytes()
    assert frame(strip, 9, side, 8) == open_png(b["images"][0]).tobytes()
    assert frame(strip, 4, side, 8) not in (face.tobytes(), open_png(b["images"][0]).tobytes())


def test_edit_moves_the_face_and_zero_edit_does_not(client, api_headers):
    base = run(client, api_headers, {"count": 1, "seed": 3})
    same = run(client, api_headers, {"mode": "edit", "count": 1, "seed": 3, "directions": {}})
    moved = run(client, api_headers, {"mode": "edit", "count": 1, "seed": 3, "directions": {"Smiling": 4}})
    kept = run(client, api_headers, {"mode": "edit", "count": 1, "seed": 3, "directions": {"Smiling": 4},
                                     "keep_others": True})
    pix = lambda job: pixels(client, api_headers, job["images"][0])  # noqa: E731
    assert pix(same) == pix(base)
    assert pix(moved) != pix(base)
    assert pix(kept) not in (pix(base), pix(moved))


def test_arithmetic_is_one_image_whose_terms_the_preview_draws(client, api_headers):
    job = run(client, api_headers, {"mode": "arithmetic", "plus": [1, 2], "minus": [3]})
    assert len(job["images"]) == 1  # the result; the terms are in the recipe
    assert "seed" not in job["params"] and job["params"]["plus"] == [1, 2]
    term = run(client, api_headers, {"count": 1, "seed": 2, "truncation": 0.8})
    pix = lambda im: pixels(client, api_headers, im)  # noqa: E731
    preview = client.get("/person/preview.png?seed=2&truncation=0.8")  # what the page shows for the term
    assert Image.open(io.BytesIO(preview.data)).convert("RGB").tobytes() == pix(term["images"][0])
    assert pix(job["images"][0]) != pix(term["images"][0])


def test_identical_requests_give_identical_files(client, api_headers):
    """Parameters a mode does not use are neither drawn at random nor recorded: same request, same bytes."""
    first = run(client, api_headers, {"count": 1, "seed": 1234})
    second = run(client, api_headers, {"count": 1, "seed": 1234})
    assert first["images"][0]["sha256"] == second["images"][0]["sha256"]
    assert image_bytes(client, api_headers, first["images"][0]) == image_bytes(client, api_headers, second["images"][0])
    recipe = read_recipe(image_bytes(client, api_headers, first["images"][0]))
    assert set(recipe["params"]) == {"mode", "count", "seed", "truncation"}
    with_unused = run(client, api_headers, {"count": 1, "seed": 1234, "seed_b": 77, "frames": 5})
    assert with_unused["images"][0]["sha256"] == first["images"][0]["sha256"]
    walk = run(client, api_headers, {"mode": "interpolate", "seed": 1, "seed_b": 2, "frames": 3})
    assert set(walk["params"]) == {"mode", "seed", "truncation", "seed_b", "frames", "method"}


@pytest.mark.parametrize(("params", "field"), [
    ({"count": 0}, "count"),
    ({"count": 65}, "count"),
    ({"truncation": 0}, "truncation"),
    ({"mode": "dance"}, "mode"),
    ({"mode": "interpolate", "frames": 1}, "frames"),
    ({"mode": "edit", "directions": {"Wings": 1}}, "directions"),
    ({"mode": "edit", "directions": {"Smiling": 99}}, "directions"),
    ({"mode": "arithmetic", "plus": [1], "minus": [2]}, "plus"),
    ({"mode": "arithmetic", "plus": []}, "plus"),
    ({"mode": "arithmetic", "plus": list(range(9))}, "plus"),
    ({"seed": -1}, "seed"),
    ({"colour": "red"}, "colour"),
])
def test_bad_params_are_422_and_make_no_job(client, api_headers, params, field):
    before = client.get("/api/v1/jobs", headers=api_headers).get_json()
    response = post(client, api_headers, params)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["field"] == field
    assert client.get("/api/v1/jobs", headers=api_headers).get_json() == before


def test_missing_weights_is_503_with_hint(client, api_headers, tmp_path, monkeypatch):
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(tmp_path / "empty"))
    response = post(client, api_headers, {"count": 1})
    assert response.status_code == 503
    assert "genstudio train person" in response.get_json()["error"]
    assert client.get("/api/v1/jobs", headers=api_headers).get_json()["jobs"] == []
    page = client.get("/person/").get_data(as_text=True)
    assert 'id="model-missing"' in page
    assert client.get("/person/preview.png?seed=1").status_code == 503
    assert client.get("/person/map/points.json").status_code == 503


def test_explorer_page_and_preview_endpoints(client):
    html = client.get("/person/").get_data(as_text=True)
    assert 'id="person-explorer"' in html and 'data-direction="Smiling"' in html and 'id="glasses-demo"' in html
    a = client.get("/person/preview.png?seed=3&truncation=0.8")
    b = client.get("/person/preview.png?seed=3&truncation=0.8&d.Smiling=3")
    assert a.status_code == b.status_code == 200 and a.mimetype == "image/png"
    assert a.data != b.data
    assert client.get("/person/preview.png?seed=3&d.Smiling=80").status_code == 422
    assert client.get("/person/preview.png?seed=3&d.Wings=1").status_code == 422
    scores = client.get("/person/preview.json?seed=3&d.Smiling=3").get_json()["scores"]
    assert set(scores) >= {"Smiling", "Male"} and all(0 <= v <= 1 for v in scores.values())
    gif = client.get("/person/interpolation.gif?seed=1&seed_b=2&frames=5")
    assert gif.status_code == 200 and gif.data[:6] == b"GIF89a"
    with Image.open(io.BytesIO(gif.data)) as im:
        assert im.n_frames == 8  # 5 forwards + 3 back: a seamless loop
    webp = client.get("/person/interpolation.webp?seed=1&seed_b=2&frames=4")
    assert webp.status_code == 200 and webp.data[8:12] == b"WEBP"
    assert client.get("/person/interpolation.bmp?seed=1").status_code == 404
    scores = client.get("/person/faces.json?plus=1,2&minus=3").get_json()
    assert 0 <= scores["result"]["Eyeglasses"] <= 1


def test_sliders_stop_at_their_measured_range(client):
    """Sliders are limited to the range where faces stay faces (person-directions' "ranges"), and say so;
    a direction without a measured range keeps the API's ±6."""
    import re

    html = client.get("/person/").get_data(as_text=True)
    male = re.search(r'<input[^>]*id="s-Male"[^>]*>', html).group(0)
    smiling = re.search(r'<input[^>]*id="s-Smiling"[^>]*>', html).group(0)
    assert 'min="-1.5"' in male and 'max="2.0"' in male
    assert 'min="-6"' in smiling and 'max="6"' in smiling
    assert 'id="slider-ranges-note"' in html


def test_map_page_points_and_decode(client):
    """The original's 2-D autoencoder map (source=autoencoder): its points, a click decoded by the VAE."""
    assert 'id="map-canvas"' in client.get("/person/map").get_data(as_text=True)
    points = client.get("/person/map/points.json?source=autoencoder").get_json()
    assert len(points["x"]) == len(points["y"]) == 3 and points["labels"]["Male"] == "101"
    one = client.get("/person/map/decode.png?source=autoencoder&x=0.5&y=-1")
    two = client.get("/person/map/decode.png?source=autoencoder&x=-1.5&y=1")
    assert one.status_code == two.status_code == 200 and one.data != two.data
    assert client.get("/person/map/decode.png?source=autoencoder&x=abc&y=1").status_code == 422
    assert client.get("/person/map/decode.png?source=autoencoder&x=1e9&y=1").status_code == 422
    tiles = client.get("/person/map/tiles.png?source=autoencoder&n=4")
    assert tiles.status_code == 200 and Image.open(io.BytesIO(tiles.data)).size == (4 * 32, 4 * 32)


def test_gan_map_decodes_every_point_through_the_generator(client):
    """The default map (source=gan): generated faces laid out by attribute; a point is drawn by the GAN from
    the blend of its neighbours' z, so it is exactly what the generator draws for that z."""
    import torch

    from genstudio.wgan.model import load_generator
    from genstudio.wgan.plane import load_plane

    points = client.get("/person/map/points.json").get_json()
    assert len(points["x"]) == 5 and set(points["labels"]) >= {"Male", "Smiling"} and points["model"] == "person-plane"
    plane, _ = load_plane("person-plane")
    x, y = plane.coords[2].tolist()
    drawn = client.get(f"/person/map/decode.png?x={x:.6f}&y={y:.6f}")
    g, _, _ = load_generator(DEFAULT_MODEL)
    with torch.no_grad():
        expected = g(plane.z_at(torch.tensor([[x, y]])))
    from genstudio.imaging import to_pil

    want = to_pil(expected)[0].resize((128, 128), Image.Resampling.NEAREST)  # enlarged, never blurred up
    got = Image.open(io.BytesIO(drawn.data)).convert("RGB")
    assert drawn.status_code == 200 and got.tobytes() == want.tobytes()
    assert client.get("/person/map/decode.png?x=0.9&y=-0.9").data != drawn.data
    tiles = client.get("/person/map/tiles.png?n=3")
    assert tiles.status_code == 200 and Image.open(io.BytesIO(tiles.data)).size == (3 * 16, 3 * 16)
    assert client.get("/person/map/points.json?source=vae").status_code == 422
