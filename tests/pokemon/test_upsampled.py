"""Random Pokémon at 2× (`resolution: "2x"`): both families' drawings enlarged by the learned up-sampler (tiny
random weights, loaded by name like the trained one) instead of Lanczos, its name and checkpoint in the recipe;
refused before any job exists when the up-sampler is not installed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from genstudio import weights
from genstudio.recipes import read_recipe
from genstudio.services.pokemon import MODEL
from genstudio.services.pokemon.models import load_pokemon_model
from genstudio.services.resolution import load_upsampling

from ..conftest import login, wait_job
from ..person.conftest import write_tiny_upsampler

UPSAMPLER = "pokemon-upsampler"
DIFFUSION = {"count": 2, "type": "fire", "sampler": "dpm++", "steps": 3, "guidance": 3.0, "seed": 41}
GAN = {"count": 2, "type": "water", "seed": 9}


@pytest.fixture(scope="module")
def with_upsampler(tiny_weights, tmp_path_factory) -> Path:
    """The tiny Pokémon models beside a tiny pokemon-upsampler (tiny_weights itself has none)."""
    root = tmp_path_factory.mktemp("pokemon-2x")
    for folder in tiny_weights.iterdir():
        (root / folder.name).symlink_to(folder, target_is_directory=True)
    write_tiny_upsampler(root, UPSAMPLER)
    return root


@pytest.fixture
def weights_root(with_upsampler) -> Path:
    return with_upsampler


def post(client, headers, params, model: str = MODEL):
    return client.post("/api/v1/jobs", json={"service": "pokemon", "model": model, "params": params}, headers=headers)


def run(client, headers, params, model: str = MODEL) -> dict:
    response = post(client, headers, params, model)
    assert response.status_code == 202, response.get_json()
    job = wait_job(client, response.get_json()["url"], headers, timeout=120)
    assert job["status"] == "done", job
    return job


def png(client, headers, image) -> bytes:
    return client.get(image["url"], headers=headers).data


def rgb(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def drawn(model: str, params: dict) -> list[Image.Image]:
    """What the model itself draws for params (seed + i), before any enlargement."""
    seeds = [params["seed"] + i for i in range(params["count"])]
    options = {k: params[k] for k in ("sampler", "steps", "guidance") if k in params}
    return load_pokemon_model(model).generate(type_name=params["type"], seeds=seeds, **options)


@pytest.mark.parametrize(("model", "params", "side"), [(MODEL, DIFFUSION, 32), ("pokemon-gan", GAN, 64)])
def test_2x_is_the_upsampler_on_the_drawing_and_records_it(client, api_headers, model, params, side):
    native = run(client, api_headers, params, model)
    double = run(client, api_headers, {**params, "resolution": "2x"}, model)
    assert [(im["width"], im["height"]) for im in double["images"]] == [(2 * side, 2 * side)] * 2
    assert [im["width"] for im in native["images"]] == [2 * side] * 2  # shown 2× by Lanczos, as before
    learned = load_upsampling(UPSAMPLER).images(drawn(model, params))
    got = [rgb(png(client, api_headers, im)) for im in double["images"]]
    assert [im.tobytes() for im in got] == [im.tobytes() for im in learned]
    assert got[0].tobytes() != rgb(png(client, api_headers, native["images"][0])).tobytes()

    digest = weights.digest(UPSAMPLER)
    small = read_recipe(png(client, api_headers, native["images"][1]))
    big = read_recipe(png(client, api_headers, double["images"][1]))
    assert "resolution" not in small["params"] and "upsampler" not in small["extra"]
    assert big["params"]["resolution"] == "2x" and big["extra"]["native_size"] == side
    assert (big["extra"]["upsampler"], big["extra"]["upsampler_checkpoint"]) == (UPSAMPLER, digest)
    assert big["extra"]["seed"] == small["extra"]["seed"] == params["seed"] + 1
    assert big["checkpoint"] == f"{small['checkpoint']}+{digest}"
    stored = client.get(f"/api/v1/images/{double['images'][1]['id']}/recipe", headers=api_headers).get_json()
    assert stored["checkpoint"] == big["checkpoint"] and stored["recipe"] == big  # the database's copy

    again = client.post(f"/api/v1/images/{double['images'][1]['id']}/again", headers=api_headers).get_json()
    again = wait_job(client, again["url"], api_headers, timeout=120)
    assert again["images"][0]["sha256"] == double["images"][1]["sha256"]  # made again, byte for byte


def test_variations_at_2x_are_reproducible_and_recorded(client, api_headers, user):
    params = {**GAN, "variation": 0.2, "resolution": "2x"}
    first, second = (run(client, api_headers, params, "pokemon-gan") for _ in range(2))
    assert [im["sha256"] for im in first["images"]] == [im["sha256"] for im in second["images"]]
    recipe = read_recipe(png(client, api_headers, first["images"][0]))
    assert recipe["extra"]["variation_of"] == GAN["seed"] and recipe["extra"]["upsampler"] == UPSAMPLER
    login(client, *user)
    page = client.get(f"/gallery/image/{first['images'][0]['id']}").get_data(as_text=True)
    assert f"<code>{UPSAMPLER}</code>" in page and f"<code>{weights.digest(UPSAMPLER)}</code>" in page


def test_the_work_limit_is_unchanged_at_2x(with_upsampler, monkeypatch):
    from genstudio.errors import ParamError
    from genstudio.services.pokemon import SERVICE

    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(with_upsampler))
    schema = SERVICE.schema
    assert SERVICE.prepare(schema.resolve({"count": 16, "steps": 250, "resolution": "2x"}), {}) == {}
    with pytest.raises(ParamError, match="4000"):
        SERVICE.prepare(schema.resolve({"count": 16, "steps": 251, "resolution": "2x"}), {})


def listed_resolution(client, headers) -> dict:
    services = {s["name"]: s for s in client.get("/api/v1/services", headers=headers).get_json()["services"]}
    return {p["name"]: p for p in services["pokemon"]["params"]}["resolution"]


def test_2x_is_listed_and_refused_without_a_job_when_the_upsampler_is_missing(client, api_headers, tiny_weights,
                                                                             monkeypatch):
    resolution = listed_resolution(client, api_headers)
    assert resolution["choices"] == ["native", "2x"] and resolution["default"] == "native"
    assert resolution["needs"] == {"2x": {"model": UPSAMPLER, "status": "ready"}}
    made = run(client, api_headers, {**GAN, "count": 1, "resolution": "2x"}, "pokemon-gan")

    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(tiny_weights))  # the same models, no up-sampler
    assert listed_resolution(client, api_headers)["needs"]["2x"]["status"] == "missing"
    before = client.get("/api/v1/jobs", headers=api_headers).get_json()
    response = post(client, api_headers, {**DIFFUSION, "resolution": "2x"})
    assert response.status_code == 422
    assert response.get_json()["field"] == "resolution"
    assert response.get_json()["error"] == ("resolution: 2x is not available on this server: it needs the model "
                                            "pokemon-upsampler, which is not installed")
    assert client.get("/api/v1/jobs", headers=api_headers).get_json() == before  # no job
    assert post(client, api_headers, DIFFUSION).status_code == 202  # native still works

    # "make again" of a 2× image (no prepare: its recipe is trusted) fails with the same reason, not a crash
    again = client.post(f"/api/v1/images/{made['images'][0]['id']}/again", headers=api_headers).get_json()
    again = wait_job(client, again["url"], api_headers, timeout=60)
    assert again["status"] == "failed" and "needs the model pokemon-upsampler" in again["error"]
