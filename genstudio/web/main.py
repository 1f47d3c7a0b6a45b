"""Landing page, health check, language switch and the services' example pictures."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, send_file, session
from sqlalchemy import select

from .. import weights
from ..db import Image
from ..extensions import db, studio

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    st = studio()
    latest = db.session.scalars(
        select(Image).where(Image.public.is_(True)).order_by(Image.shared_at.desc()).limit(8)).all()
    return render_template("index.html", services=list(st.registry), missing=st.missing_modules, latest=latest)


@bp.get("/healthz")
def healthz():
    st = studio()
    services = {service.name: service.status() for service in st.registry}
    for name in st.missing_modules:
        services.setdefault(name, "missing")
    return jsonify({"status": "ok", "services": services})


@bp.get("/lang/<code>")
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    target = request.args.get("next") or "/"
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.netloc:
        target = "/"
    return redirect(target)


def example_file(service_name: str) -> Path | None:
    """The picture on the service's landing card: `service.example_image` (a path) if the service sets one,
    else the sample grid beside its default weights (the model card's picture). Services that edit uploads
    get none by default: their sample grids show the photos they edited."""
    registry = studio().registry
    if service_name not in registry:
        return None
    service = registry.get(service_name)
    explicit = getattr(service, "example_image", None)
    if explicit:
        return Path(explicit) if Path(explicit).is_file() else None
    if service.accepts_upload:
        return None
    folder = weights.model_dir(service.default_model)
    if not folder.is_dir():
        return None
    pngs = sorted(folder.glob("*.png"), key=lambda p: (not any(w in p.name for w in ("sample", "grid")), p.name))
    return pngs[0] if pngs else None


@bp.get("/examples/<service_name>.png")
def example(service_name: str):
    path = example_file(service_name)
    if path is None:
        abort(404)
    return send_file(path, mimetype="image/png", max_age=3600)
