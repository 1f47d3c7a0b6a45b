"""Service pages: the generic page rendered from a service's schema, and the helpers a custom page uses.

In a service package::

    from genstudio.web.service_pages import service_blueprint
    SERVICE.blueprint = service_blueprint(SERVICE)                       # generic page
    SERVICE.blueprint = service_blueprint(SERVICE, template="pokemon/page.html",
                                          import_name=__name__, template_folder="templates")  # custom page

A custom template `{% extends "service_page.html" %}` and overrides blocks: `intro` (text above the form),
`controls` (the form), `results` (the result area), `scripts` (extra <script src> tags; keep JS in static
files: the site's CSP forbids inline scripts). The page exposes `window.GenStudio` (static/js/genstudio.js):
submitJob(service, params, file) -> Promise<job>, watchJob(id, callbacks), cancelJob(id), again(imageId).
"""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, render_template

from ..services.base import Service


def form_fields(service: Service) -> list[dict[str, Any]]:
    """schema.describe() plus what the template needs: the input widget and a step for number ranges."""
    fields = []
    for desc in service.schema.describe():
        field = dict(desc)
        kind = desc["type"]
        if kind in ("int", "float") and desc.get("range") and None not in desc["range"]:
            field["widget"] = "range"
        elif kind in ("int", "float", "seed"):
            field["widget"] = "number"
        elif kind == "choice":
            field["widget"] = "select"
        elif kind == "bool":
            field["widget"] = "checkbox"
        elif kind == "dict":
            field["widget"] = "sliders"
        else:
            field["widget"] = "text"
        if kind == "float":
            lo, hi = (desc.get("range") or [None, None])
            # a round step giving at least ~100 positions on the slider: 0.01 for [0, 1] or [1, 10], 0.1 for [0, 20]
            field["step"] = 10 ** math.floor(math.log10((hi - lo) / 100)) if lo is not None and hi is not None \
                and hi > lo else "any"
        else:
            field["step"] = 1
        fields.append(field)
    return fields


def history(service: Service, limit: int = 8) -> tuple[list, Any]:
    """The visitor's latest images from this service and their unfinished job (resumed after a reload)."""
    from sqlalchemy import select

    from ..db import ACTIVE, Image, Job
    from ..extensions import db
    from ..jobs.submit import owner_filter
    from .identity import web_owner

    owner = web_owner()
    if owner.user_id is None and owner.session_key is None:
        return [], None
    recent = db.session.scalars(
        select(Image).where(owner_filter(Image, owner), Image.service == service.name)
        .order_by(Image.created_at.desc(), Image.index).limit(limit)).all()
    active = db.session.scalars(
        select(Job).where(owner_filter(Job, owner), Job.service == service.name, Job.status.in_(ACTIVE))
        .order_by(Job.created_at.desc()).limit(1)).first()
    return recent, active


def recipe_from_request(service: Service) -> dict[str, Any] | None:
    """`?recipe=<image id>`: the params of an image the visitor may see, to prefill the form ("use these
    settings"), or None."""
    from flask import request

    from ..db import Image
    from ..extensions import db
    from .identity import can_view, web_owner

    image_id = request.args.get("recipe")
    if not image_id:
        return None
    image = db.session.get(Image, image_id)
    if image is None or image.service != service.name or not can_view(image, web_owner()):
        return None
    recipe = image.recipe if isinstance(image.recipe, dict) else {}
    return {"model": image.model, "params": recipe.get("params", {})}


def render_service_page(service: Service, template: str = "service_page.html", **context: Any) -> str:
    """Render a service page; templates get `service`, `fields`, `recent` (images), `active_job` and
    `prefill` ({"model", "params"} from `?recipe=<image id>`, or None)."""
    recent, active = history(service)
    context.setdefault("recent", recent)
    context.setdefault("active_job", active)
    context.setdefault("prefill", recipe_from_request(service))
    return render_template(template, service=service, fields=form_fields(service), **context)


def service_blueprint(service: Service, template: str = "service_page.html", import_name: str | None = None,
                      **blueprint_kwargs: Any) -> Blueprint:
    """A blueprint named after the service with its page at `/` (registered at `/<service.name>`)."""
    bp = Blueprint(service.name, import_name or __name__, **blueprint_kwargs)

    @bp.get("/")
    def page():
        return render_service_page(service, template)

    return bp
