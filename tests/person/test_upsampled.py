"""The person service at 2× (`resolution: "2x"`): every mode's faces drawn through the learned up-sampler
(tiny random weights, loaded by name like the shipped one), twice the size, the up-sampler's name and checkpoint
in the recipe; refused before any job exists, and disabled on the page, when the up-sampler is not installed."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import torch
from PIL import Image

from genstudio import weights
from genstudio.imaging import to_pil
from genstudio.recipes import read_recipe
from genstudio.services.person import DEFAULT_MODEL
from genstudio.upsampler.model import load_upsampler
from genstudio.upsampler.networks import bicubic2x
from genstudio.wgan.latent import z_for_seeds
from genstudio.wgan.model import load_generator

from ..conftest import login
from .conftest import TINY_G
from .test_person_api import frame, image_bytes, pixels, post, run

NATIVE = TINY_G["resolution"]


def png(client, headers, image) -> Image.Image:
    return Image.open(io.BytesIO(image_bytes(client, headers, image))).convert("RGB")


def without_upsampler(tiny_weights: Path, root: Path) -> Path:
    """A weights folder with every tiny person model but the up-sampler."""
    root.mkdir()
    for folder in tiny_weights.iterdir():
        if folder.name != "person-upsampler":
            (root / folder.name).symlink_to(folder, target_is_directory=True)
    return root


def listed_resolution(client, headers) -> dict:
    """The `resolution` parameter of the person service as /api/v1/services lists it."""
    services = {s["name"]: s for s in client.get("/api/v1/services", headers=headers).get_json()["services"]}
    return {p["name"]: p for p in services["person"]["params"]}["resolution"]


def test_2x_faces_are_the_upsampler_applied_to_the_generator_and_record_it(client, api_headers, user):
    native = run(client, api_headers, {"count": 2, "seed": 11, "truncation": 0.7})
    double = run(client, api_headers, {"count": 2, "seed": 11, "truncation": 0.7, "resolution": "2x"})
    assert [(im["width"], im["height"]) for im in native["images"]] == [(NATIVE, NATIVE)] * 2
    assert [(im["width"], im["height"]) for im in double["images"]] == [(2 * NATIVE, 2 * NATIVE)] * 2
    # exactly the up-sampler on the generator's output (before rounding), not an enlargement of the small face
    g, _, _ = load_generator(DEFAULT_MODEL)
    up = load_upsampler("person-upsampler")
    with torch.no_grad():
        x = g(z_for_seeds([11, 12], g.z_dim, 0.7))
        learned, bicubic = to_pil(up(x)), to_pil(bicubic2x(x))
    got = [png(client, api_headers, im) for im in double["images"]]
    assert [im.tobytes() for im in got] == [im.tobytes() for im in learned]
    assert got[0].tobytes() != bicubic[0].tobytes()
    assert got[0].tobytes() != png(client, api_headers, native["images"][0]).resize(got[0].size, 0).tobytes()

    digest = weights.digest("person-upsampler")
    small = read_recipe(image_bytes(client, api_headers, native["images"][0]))
    big = read_recipe(image_bytes(client, api_headers, double["images"][1]))
    assert "resolution" not in small["params"] and "upsampler" not in small["extra"]
    assert big["params"]["resolution"] == "2x"
    assert big["extra"] == {"face_seed": 12, "upsampler": "person-upsampler", "upsampler_checkpoint": digest}
    assert big["checkpoint"] == f"{small['checkpoint']}+{digest}"  # generator+directions+up-sampler
    stored = client.get(f"/api/v1/images/{double['images'][1]['id']}/recipe", headers=api_headers).get_json()
    assert stored["checkpoint"] == big["checkpoint"] and stored["recipe"] == big  # the database's copy
    login(client, *user)
    page = client.get(f"/gallery/image/{double['images'][1]['id']}").get_data(as_text=True)
    assert "<code>person-upsampler</code>" in page and f"<code>{digest}</code>" in page

    again = client.post(f"/api/v1/images/{double['images'][1]['id']}/again?wait=5", headers=api_headers).get_json()
    assert again["status"] == "done", again
    assert again["images"][0]["sha256"] == double["images"][1]["sha256"]  # made again, byte for byte


def test_every_mode_is_drawn_at_2x(client, api_headers):
    edit = run(client, api_headers, {"mode": "edit", "count": 1, "seed": 3, "directions": {"Smiling": 4},
                                     "resolution": "2x"})
    edit_native = run(client, api_headers, {"mode": "edit", "count": 1, "seed": 3, "directions": {"Smiling": 4}})
    arithmetic = run(client, api_headers, {"mode": "arithmetic", "plus": [1, 2], "minus": [3], "resolution": "2x"})
    walk = run(client, api_headers, {"mode": "interpolate", "seed": 5, "seed_b": 9, "frames": 10, "resolution": "2x"})
    face = run(client, api_headers, {"count": 1, "seed": 5, "truncation": 0.8, "resolution": "2x"})
    side = 2 * NATIVE
    assert (edit["images"][0]["width"], arithmetic["images"][0]["width"]) == (side, side)
    assert pixels(client, api_headers, edit["images"][0]) != \
        pixels(client, api_headers, edit_native["images"][0])
    strip = png(client, api_headers, walk["images"][0])
    assert strip.size == (1 + 8 * (side + 1), 1 + 2 * (side + 1))
    assert frame(strip, 0, side, 8) == png(client, api_headers, face["images"][0]).tobytes()
    for job in (edit, arithmetic, walk):
        assert read_recipe(image_bytes(client, api_headers, job["images"][0]))["extra"]["upsampler"] == \
            "person-upsampler"

    # the page's previews: the slider face and the animation are drawn at 2× too
    small = Image.open(io.BytesIO(client.get("/person/preview.png?seed=5&truncation=0.8").data))
    big = client.get("/person/preview.png?seed=5&truncation=0.8&resolution=2x")
    assert big.status_code == 200 and small.size == (NATIVE, NATIVE)
    assert Image.open(io.BytesIO(big.data)).convert("RGB").tobytes() == \
        png(client, api_headers, face["images"][0]).tobytes()
    gif = client.get("/person/interpolation.gif?seed=5&seed_b=9&frames=10&resolution=2x")
    assert gif.status_code == 200
    assert gif.data != client.get("/person/interpolation.gif?seed=5&seed_b=9&frames=10").data
    with Image.open(io.BytesIO(gif.data)) as im:
        assert im.size[0] % side == 0  # whole multiples of the face, never blurred up


def test_the_listing_and_the_page_offer_2x_when_the_upsampler_is_installed(client, api_headers):
    resolution = listed_resolution(client, api_headers)
    assert resolution["choices"] == ["native", "2x"] and resolution["default"] == "native"
    assert resolution["needs"] == {"2x": {"model": "person-upsampler", "status": "ready"}}
    html = client.get("/person/").get_data(as_text=True)
    assert "disabled" not in re.search(r'<input[^>]*id="p-resolution-2x"[^>]*>', html).group(0)
    assert f"{2 * NATIVE} px (2×)" in html and 'id="upsampler-missing"' not in html


def test_2x_is_refused_without_a_job_when_the_upsampler_is_missing(client, api_headers, tiny_weights, tmp_path,
                                                                  monkeypatch):
    made = run(client, api_headers, {"count": 1, "seed": 8, "resolution": "2x"})  # while it is installed
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(without_upsampler(tiny_weights, tmp_path / "weights")))
    before = client.get("/api/v1/jobs", headers=api_headers).get_json()
    response = post(client, api_headers, {"count": 1, "seed": 8, "resolution": "2x"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["field"] == "resolution"
    assert body["error"] == ("resolution: 2x is not available on this server: it needs the model person-upsampler, "
                             "which is not installed")
    assert client.get("/api/v1/jobs", headers=api_headers).get_json() == before  # no job
    assert post(client, api_headers, {"count": 1, "seed": 8}).status_code == 200  # native still works

    assert listed_resolution(client, api_headers)["needs"]["2x"]["status"] == "missing"
    html = client.get("/person/").get_data(as_text=True)
    assert "disabled" in re.search(r'<input[^>]*id="p-resolution-2x"[^>]*>', html).group(0)
    assert 'id="upsampler-missing"' in html and "configs/person-upsampler-cpu.yaml" in html
    preview = client.get("/person/preview.png?seed=8&resolution=2x")
    assert preview.status_code == 422 and preview.get_json()["field"] == "resolution"

    # "make again" of a 2× face (no prepare: its recipe is trusted) fails with the same reason, not a crash
    again = client.post(f"/api/v1/images/{made['images'][0]['id']}/again?wait=5", headers=api_headers).get_json()
    assert again["status"] == "failed" and "needs the model person-upsampler" in again["error"]


def test_prepare_refuses_2x_without_loading_a_model(tiny_weights, tmp_path, monkeypatch):
    from genstudio.errors import ParamError
    from genstudio.services.person import SCHEMA, PersonService

    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(without_upsampler(tiny_weights, tmp_path / "weights")))
    service = PersonService()
    assert service.prepare(SCHEMA.resolve({"count": 1}), {}) == {}
    with pytest.raises(ParamError, match="needs the model person-upsampler") as caught:
        service.prepare(SCHEMA.resolve({"count": 1, "resolution": "2x"}), {})
    assert caught.value.field == "resolution"
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(tiny_weights))
    assert service.prepare(SCHEMA.resolve({"count": 1, "resolution": "2x"}), {}) == {}
