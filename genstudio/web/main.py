"""Landing page, health check, language switch and the services' example pictures."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from sqlalchemy import select

from .. import weights
from ..db import Image
from ..extensions import db, studio
from ..services.base import Service

log = logging.getLogger(__name__)
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
    else one the service draws at run time (Service.example, cached per checkpoint in the instance folder),
    else the sample grid beside its default weights (the model card's picture). Services that edit uploads
    get no sample grid: their grids show the photos they edited."""
    registry = studio().registry
    if service_name not in registry:
        return None
    service = registry.get(service_name)
    explicit = getattr(service, "example_image", None)
    if explicit:
        return Path(explicit) if Path(explicit).is_file() else None
    if draws_example(service):
        return drawn_example(service)
    if service.accepts_upload:
        return None
    folder = weights.model_dir(service.default_model)
    if not folder.is_dir():
        return None
    pngs = sorted(folder.glob("*.png"), key=lambda p: (not any(w in p.name for w in ("sample", "grid")), p.name))
    return pngs[0] if pngs else None


def draws_example(service: Service) -> bool:
    return type(service).example is not Service.example and service.is_installed()


_drawing = threading.Lock()


def drawn_example(service: Service) -> Path | None:
    """Service.example() as a PNG in the instance folder, drawn once per model checkpoint (the first landing
    visit after a retraining waits for it); None if the service could not draw it."""
    with _drawing:
        pipeline = service.pipeline()
        path = Path(current_app.instance_path) / "examples" / f"{service.name}-{pipeline.checkpoint}.png"
        if not path.is_file():
            try:
                with service.pipeline_in_use():  # not while a job uses it
                    picture = service.example()
            except Exception:  # a broken example must not break the landing page
                log.exception("the %s example could not be drawn", service.name)
                return None
            if picture is None:
                return None
            path.parent.mkdir(parents=True, exist_ok=True)
            picture.save(path.with_suffix(".tmp"), format="PNG")
            path.with_suffix(".tmp").replace(path)
        return path


def example_url(service_name: str) -> str | None:
    """The landing card's picture URL (drawn examples are drawn when the picture is fetched, not here)."""
    registry = studio().registry
    if service_name in registry and draws_example(registry.get(service_name)):
        return url_for("main.example", service_name=service_name)
    return url_for("main.example", service_name=service_name) if example_file(service_name) else None


@bp.get("/examples/<service_name>.png")
def example(service_name: str):
    path = example_file(service_name)
    if path is None:
        abort(404)
    return send_file(path, mimetype="image/png", max_age=3600)
