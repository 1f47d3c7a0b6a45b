"""The person service's pages: the explorer (faces, interpolation, sliders, arithmetic) and the 2-D map.

Saved results go through jobs (the page posts with a short `wait`, so small requests answer at once);
the JSON/PNG endpoints below only serve the interactive previews (slider drags, map clicks, the animated
interpolation) and are deterministic functions of their query string.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

import torch
from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask_babel import gettext as _

from ...extensions import limiter
from ...imaging import grid, to_pil
from ...web.service_pages import render_service_page
from ...web.strings import label, param_error
from ...weights import is_installed, weights_root
from ..base import ModelMissing, ParamError, Service

PREVIEW_LIMIT = "600 per minute"  # slider drags send a few requests per second; a script sending more is refused
_cache_lock = threading.Lock()
_cache: dict[tuple[str, str, str], Any] = {}


def _png(image) -> Response:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    response = Response(buf.getvalue(), mimetype="image/png")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def _loaded(kind: str, name: str, loader: Callable[[str], Any]) -> Any:
    """A model the explorer's JSON endpoints use, loaded once per weights folder (tests switch folders)."""
    key = (kind, str(weights_root()), name)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = loader(name)
        return _cache[key]


def _latent_map(name: str):
    from ...latentmap import load_latentmap

    return _loaded("latentmap", name, load_latentmap)


def make_blueprint(service: Service) -> Blueprint:
    from . import CLASSIFIER_MODEL, MAP_MODEL

    bp = Blueprint(service.name, __name__, template_folder="templates", static_folder="static",
                   static_url_path="/static")
    schema = service.schema

    def coerce(name: str, raw: Any, default: Any = None) -> Any:
        value = schema.get(name).coerce(raw if raw not in (None, "") else default)
        return default if value is None else value

    def args_params() -> dict[str, Any]:
        a = request.args
        return {
            "seed": coerce("seed", a.get("seed"), 0),
            "truncation": coerce("truncation", a.get("truncation"), schema.get("truncation").default),
        }

    @bp.errorhandler(ParamError)
    def bad_param(exc: ParamError):
        return jsonify({"error": param_error(exc), "field": exc.field}), 422

    @bp.errorhandler(ModelMissing)
    def missing(exc: ModelMissing):
        return jsonify({"error": str(exc), "missing": True}), 503

    @bp.get("/")
    def page():
        gen_ready = service.is_installed()
        directions = service.generator().directions if gen_ready else None
        return render_service_page(
            service, "person/explorer.html", schema=schema.describe(),
            directions=directions.names if directions else [],
            glasses_demo=directions.demo("glasses") if directions else {},
            map_ready=is_installed(MAP_MODEL), page_strings=page_strings(), attribute_labels=attribute_labels())

    def preview_z():
        """The slider face's z from the query: seed, truncation, d.<Attribute>=amount, keep=1."""
        p = args_params()
        amounts = {}
        for key, raw in request.args.items():
            if key.startswith("d."):
                amounts.update(schema.get("directions").coerce({key[2:]: raw}))
        keep = schema.get("keep_others").coerce(request.args.get("keep", "0"))
        gen = service.generator()
        return gen, gen.edited_z(gen.z([p["seed"]], p["truncation"]), amounts, keep)

    @bp.get("/preview.png")
    @limiter.limit(PREVIEW_LIMIT)
    def preview():
        """One face for slider drags (no job; "Save" makes one)."""
        gen, z = preview_z()
        return _png(gen.render(z)[0])

    @bp.get("/preview.json")
    @limiter.limit(PREVIEW_LIMIT)
    def preview_scores():
        """The attribute classifier's probabilities for the slider face, so users see a slider's effect."""
        if not is_installed(CLASSIFIER_MODEL):
            return jsonify({"error": "the face-attributes classifier is not installed", "missing": True}), 503
        gen, z = preview_z()
        clf = _classifier(CLASSIFIER_MODEL)
        names = gen.directions.names if gen.directions else []
        with torch.no_grad():
            probs = torch.sigmoid(clf(gen.network(z)))[0]
        return jsonify({"scores": {a: round(float(probs[clf.index(a)]), 3) for a in names if a in clf.attributes}})

    @bp.get("/interpolation.<fmt>")
    @limiter.limit(PREVIEW_LIMIT)
    def interpolation(fmt: str):
        """The animated interpolation (GIF or WebP) for seed -> seed_b, same frames as the job makes."""
        from .generator import animation

        if fmt not in ("gif", "webp"):
            abort(404)
        p = args_params()
        seed_b = coerce("seed_b", request.args.get("seed_b"), 1)
        frames = coerce("frames", request.args.get("frames"), 16)
        method = coerce("method", request.args.get("method"), "slerp")
        gen = service.generator()
        images = gen.render(gen.interpolation_z(p["seed"], seed_b, frames, p["truncation"], method))
        data = animation([im.resize((128, 128)) for im in images], fmt)
        response = Response(data, mimetype=f"image/{fmt}")
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    @bp.get("/faces.json")
    @limiter.limit(PREVIEW_LIMIT)
    def faces():
        """Classifier verdicts for a few seeds (the arithmetic tab shows whether the result has glasses)."""

        if not is_installed(CLASSIFIER_MODEL):
            return jsonify({"error": "the face-attributes classifier is not installed", "missing": True}), 503
        plus = schema.get("plus").coerce(request.args.get("plus", ""))
        minus = schema.get("minus").coerce(request.args.get("minus", ""))
        truncation = coerce("truncation", request.args.get("truncation"), schema.get("truncation").default)
        gen = service.generator()
        z = gen.arithmetic_z(plus, minus, truncation)
        clf = _classifier(CLASSIFIER_MODEL)
        with torch.no_grad():
            probs = torch.sigmoid(clf(gen.network(z)))[0]
        wanted = ("Eyeglasses", "Male", "Smiling", "Young", "Blond_Hair")
        return jsonify({"result": {a: round(float(probs[clf.index(a)]), 3) for a in wanted}})

    @bp.get("/map")
    def map_page():
        ready = is_installed(MAP_MODEL)
        return render_template("person/map.html", service=service, map_ready=ready, map_model=MAP_MODEL,
                               attribute_labels=attribute_labels())

    @bp.get("/map/points.json")
    def map_points():
        lm = _latent_map(MAP_MODEL)
        return jsonify({**lm.points, "model": lm.name, "checkpoint": lm.checkpoint})

    @bp.get("/map/decode.png")
    @limiter.limit(PREVIEW_LIMIT)
    def map_decode():
        lm = _latent_map(MAP_MODEL)
        try:
            x, y = float(request.args["x"]), float(request.args["y"])
        except (KeyError, ValueError):
            raise ParamError("x", "x and y must be numbers") from None
        if not (abs(x) < 1e3 and abs(y) < 1e3):
            raise ParamError("x", "x and y must be within +/-1000")
        z = torch.zeros(1, lm.model.latent_dim)
        z[0, 0], z[0, 1] = x, y
        with torch.no_grad():
            image = to_pil(lm.model.decode(z))[0]
        return _png(image.resize((128, 128)))

    @bp.get("/map/tiles.png")
    @limiter.limit(PREVIEW_LIMIT)
    def map_tiles():
        """A lattice of faces decoded over the map's extent: the map's backdrop, drawn by the model."""
        lm = _latent_map(MAP_MODEL)
        n = coerce("count", request.args.get("n"), 12)
        n = max(2, min(int(n), 24))
        x0, x1, y0, y1 = lm.points.get("extent") or [-3, 3, -3, 3]
        xs = torch.linspace(x0, x1, n + 1)[:-1] + (x1 - x0) / (2 * n)
        ys = torch.linspace(y1, y0, n + 1)[:-1] - (y1 - y0) / (2 * n)
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        z = torch.zeros(n * n, lm.model.latent_dim)
        z[:, 0], z[:, 1] = gx.flatten(), gy.flatten()
        with torch.no_grad():
            images = to_pil(lm.model.decode(z))
        return _png(grid(images, columns=n, pad=0))

    return bp


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
    from ...wgan.directions import DIRECTION_ATTRIBUTES

    return {name: _(label(name)) for name in DIRECTION_ATTRIBUTES}


def _classifier(name: str):
    from ...classifier import load_classifier

    return _loaded("classifier", name, load_classifier)
