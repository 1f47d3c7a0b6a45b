"""The person service's pages: the explorer (faces, interpolation, sliders, arithmetic) and the 2-D map.

Saved results go through jobs (the page posts with a short `wait`, so small requests answer at once);
the JSON/PNG endpoints below only serve the interactive previews (slider drags, map clicks, the animated
interpolation) and are deterministic functions of their query string. Their errors are JSON (json_errors).
"""

from __future__ import annotations

import io
from typing import Any

import torch
from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask_babel import gettext as _

from ...classifier import load_classifier
from ...errors import ModelMissing, ParamError
from ...extensions import limiter
from ...imaging import grid, to_pil
from ...latentmap import LatentMap, load_latentmap
from ...model_cache import MODELS
from ...upsampler.model import install_hint
from ...web.errors import json_errors
from ...web.service_pages import render_service_page
from ...web.strings import label
from ...weights import is_installed
from ...wgan.directions import DIRECTION_ATTRIBUTES
from ...wgan.plane import FacePlane, load_plane
from ..resolution import NATIVE
from . import CLASSIFIER_MODEL, MAP_MODEL, PLANE_MODEL, SERVICE, UPSAMPLER_MODEL
from .pipeline import PersonPipeline, animation

PREVIEW_LIMIT = "600 per minute"  # slider drags send a few requests per second; a script sending more is refused
SCHEMA = SERVICE.schema

bp = Blueprint(SERVICE.name, __name__, template_folder="templates", static_folder="static", static_url_path="/static")


def _png(image) -> Response:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    response = Response(buf.getvalue(), mimetype="image/png")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def enlarge(image, at_least: int = 128):
    """A face at its native size or a whole multiple of it (nearest neighbour): previews are never blurred up."""
    factor = max(1, -(-at_least // image.width))
    return image if factor == 1 else image.resize((image.width * factor, image.height * factor), 0)  # NEAREST


def _latent_map() -> LatentMap:
    return MODELS.get(MAP_MODEL, load_latentmap)


def _classifier():
    if not is_installed(CLASSIFIER_MODEL):
        raise ModelMissing("the face-attributes classifier is not installed")
    return MODELS.get(CLASSIFIER_MODEL, load_classifier)


def coerce(name: str, raw: Any, default: Any = None) -> Any:
    value = SCHEMA.get(name).coerce(raw if raw not in (None, "") else default)
    return default if value is None else value


def args_params() -> dict[str, Any]:
    a = request.args
    return {
        "seed": coerce("seed", a.get("seed"), 0),
        "truncation": coerce("truncation", a.get("truncation"), SCHEMA.get("truncation").default),
        "resolution": coerce("resolution", a.get("resolution"), NATIVE),
    }


def preview_z() -> tuple[PersonPipeline, torch.Tensor]:
    """The slider face's z from the query: seed, truncation, d.<Attribute>=amount, keep=1."""
    p = args_params()
    amounts = {}
    for key, raw in request.args.items():
        if key.startswith("d."):
            amounts.update(SCHEMA.get("directions").coerce({key[2:]: raw}))
    keep = SCHEMA.get("keep_others").coerce(request.args.get("keep", "0"))
    pipeline = SERVICE.pipeline()
    return pipeline, pipeline.edited_z(pipeline.z([p["seed"]], p["truncation"]), amounts, keep)


def classifier_scores(pipeline: PersonPipeline, z: torch.Tensor, attributes) -> dict[str, float]:
    """The attribute classifier's probabilities for the face of z, for the attributes it knows."""
    clf = _classifier()
    with torch.no_grad():
        probs = torch.sigmoid(clf(pipeline.network(z)))[0]
    return {a: round(float(probs[clf.index(a)]), 3) for a in attributes if a in clf.attributes}


@bp.get("/")
def page():
    pipeline = SERVICE.pipeline() if SERVICE.is_installed() else None
    directions = pipeline.directions if pipeline else None
    return render_service_page(
        SERVICE, "person/explorer.html", schema=SCHEMA.describe(),
        native_px=pipeline.resolution if pipeline else None, upsampler_ready=is_installed(UPSAMPLER_MODEL),
        upsampler_hint=install_hint(UPSAMPLER_MODEL), directions=directions.names if directions else [],
        ranges=(directions.config.get("ranges") or {}) if directions else {},
        glasses_demo=directions.demo("glasses") if directions else {},
        map_ready=is_installed(MAP_MODEL), page_strings=page_strings(), attribute_labels=attribute_labels())


@bp.get("/preview.png")
@json_errors
@limiter.limit(PREVIEW_LIMIT)
def preview():
    """One face for slider drags (no job; "Save" makes one)."""
    pipeline, z = preview_z()
    return _png(pipeline.render(z, args_params()["resolution"])[0])


@bp.get("/preview.json")
@json_errors
@limiter.limit(PREVIEW_LIMIT)
def preview_scores():
    """The attribute classifier's probabilities for the slider face, so users see a slider's effect."""
    _classifier()  # 503 before any face is drawn when it is missing
    pipeline, z = preview_z()
    names = pipeline.directions.names if pipeline.directions else []
    return jsonify({"scores": classifier_scores(pipeline, z, names)})


@bp.get("/interpolation.<fmt>")
@json_errors
@limiter.limit(PREVIEW_LIMIT)
def interpolation(fmt: str):
    """The animated interpolation (GIF or WebP) for seed -> seed_b, same frames as the job makes."""
    if fmt not in ("gif", "webp"):
        abort(404)
    p = args_params()
    seed_b = coerce("seed_b", request.args.get("seed_b"), 1)
    frames = coerce("frames", request.args.get("frames"), 16)
    method = coerce("method", request.args.get("method"), "slerp")
    pipeline = SERVICE.pipeline()
    images = pipeline.render(pipeline.interpolation_z(p["seed"], seed_b, frames, p["truncation"], method),
                             p["resolution"])
    data = animation([enlarge(im) for im in images], fmt)
    response = Response(data, mimetype=f"image/{fmt}")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/faces.json")
@json_errors
@limiter.limit(PREVIEW_LIMIT)
def faces():
    """Classifier verdicts for a few seeds (the arithmetic tab shows whether the result has glasses)."""
    _classifier()
    plus = SCHEMA.get("plus").coerce(request.args.get("plus", ""))
    minus = SCHEMA.get("minus").coerce(request.args.get("minus", ""))
    truncation = coerce("truncation", request.args.get("truncation"), SCHEMA.get("truncation").default)
    pipeline = SERVICE.pipeline()
    z = pipeline.arithmetic_z(plus, minus, truncation)
    wanted = ("Eyeglasses", "Male", "Smiling", "Young", "Blond_Hair")
    return jsonify({"result": classifier_scores(pipeline, z, wanted)})


MAP_SOURCES = ("gan", "autoencoder")  # the plane decoded through the GAN (sharp faces), or the original's VAE


def _source() -> str:
    source = request.args.get("source", "gan")
    if source not in MAP_SOURCES:
        raise ParamError("source", "must be one of %(choices)s", choices=", ".join(MAP_SOURCES))
    return source


def _plane() -> FacePlane:
    return MODELS.get(PLANE_MODEL, load_plane)[0]


def _decode(source: str, xy: torch.Tensor) -> list:
    """Faces at plane points [N, 2]: through the GAN (the plane's blend of nearby faces' z), or the VAE."""
    with torch.no_grad():
        if source == "gan":
            pipeline = SERVICE.pipeline()
            return pipeline.render(_plane().z_at(xy))
        lm = _latent_map()
        z = torch.zeros(len(xy), lm.model.latent_dim)
        z[:, :2] = xy
        return to_pil(lm.model.decode(z))


@bp.get("/map")
def map_page():
    ready = {"gan": is_installed(PLANE_MODEL) and SERVICE.is_installed(), "autoencoder": is_installed(MAP_MODEL)}
    return render_template("person/map.html", service=SERVICE, map_ready=any(ready.values()), ready=ready,
                           map_model=MAP_MODEL, attribute_labels=attribute_labels())


@bp.get("/map/points.json")
@json_errors
def map_points():
    if _source() == "gan":
        plane, config = MODELS.get(PLANE_MODEL, load_plane)
        return jsonify({"x": plane.coords[:, 0].tolist(), "y": plane.coords[:, 1].tolist(), "labels": plane.labels,
                        "extent": [-1.05, 1.05, -1.05, 1.05], "model": PLANE_MODEL,
                        "generator": config.get("generator")})
    lm = _latent_map()
    return jsonify({**lm.points, "model": lm.name, "checkpoint": lm.checkpoint})


@bp.get("/map/decode.png")
@json_errors
@limiter.limit(PREVIEW_LIMIT)
def map_decode():
    source = _source()
    try:
        x, y = float(request.args["x"]), float(request.args["y"])
    except (KeyError, ValueError):
        raise ParamError("x", "x and y must be numbers") from None
    if not (abs(x) < 1e3 and abs(y) < 1e3):
        raise ParamError("x", "x and y must be within +/-1000")
    return _png(enlarge(_decode(source, torch.tensor([[x, y]]))[0]))


@bp.get("/map/tiles.png")
@json_errors
@limiter.limit(PREVIEW_LIMIT)
def map_tiles():
    """A lattice of faces decoded over the map's extent: the map's backdrop, drawn by the model."""
    source = _source()
    n = coerce("count", request.args.get("n"), 12)
    n = max(2, min(int(n), 24))
    x0, x1, y0, y1 = [-1.05, 1.05, -1.05, 1.05] if source == "gan" else \
        (_latent_map().points.get("extent") or [-3, 3, -3, 3])
    xs = torch.linspace(x0, x1, n + 1)[:-1] + (x1 - x0) / (2 * n)
    ys = torch.linspace(y1, y0, n + 1)[:-1] - (y1 - y0) / (2 * n)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return _png(grid(_decode(source, torch.stack([gx.flatten(), gy.flatten()], 1)), columns=n, pad=0))


def page_strings() -> dict[str, str]:
    """What person.js and person_map.js write, in the visitor's language ({n}-style slots filled by the script)."""
    return {
        "seed": _("seed %(n)s", n="{n}"), "frame": _("frame %(n)s", n="{n}"), "result": _("result"),
        "start": _("start"), "end": _("end"), "saved": _("saved face"),
        "verdict": _("Attribute classifier on the result: %(scores)s", scores="{scores}"),
        "preview_failed": _("The preview could not be drawn; try again."),
    }


def attribute_labels() -> dict[str, str]:
    """Attribute names (sliders, classifier scores, the map's colouring) as the visitor reads them: the
    directions' attributes, whose labels the catalogue has (they are choices of the `directions` parameter)."""
    return {name: _(label(name)) for name in DIRECTION_ATTRIBUTES}
