"""Service pages: the generic page rendered from a service's schema, and the helpers a service's own page uses.

A service with its own page names its module in `Service.page`; the module holds a module-level blueprint `bp`
named after the service, with top-level views (services/pokemon/web.py is the smallest)::

    bp = Blueprint(SERVICE.name, __name__, template_folder="templates", static_folder="static",
                   static_url_path="/static")

    @bp.get("/")
    def page():
        return render_service_page(SERVICE, "pokemon/page.html")

A custom template `{% extends "service_page.html" %}` and overrides blocks: `intro` (text above the form),
`controls` (the form), `results` (the result area), `scripts` (extra <script src> tags; keep JS in static
files: the site's CSP forbids inline scripts). The page exposes `window.GenStudio` (static/js/genstudio.js):
submitJob(service, params, file) -> Promise<job>, watchJob(id, callbacks), cancelJob(id), again(imageId).
"""

from __future__ import annotations

import importlib
from typing import Any

from flask import Blueprint, render_template

from ..services.base import Service


def form_fields(service: Service) -> list[dict[str, Any]]:
    """The parameters as the API lists them (a choice whose model is missing says so: the form disables it) plus
    what the template needs: the input widget and a step for number ranges."""
    described = {d["name"]: d for d in service.describe_params()}
    return [{**described[p.name], "widget": p.type.widget(p), "step": p.type.step(p)} for p in service.schema.params]


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


def page_blueprint(service: Service) -> Blueprint:
    """The service's page (registered at `/<service.name>`): the `bp` of its page module, or the generic page."""
    if service.page:
        return importlib.import_module(service.page).bp
    bp = Blueprint(service.name, __name__)

    @bp.get("/")
    def page():
        return render_service_page(service)

    return bp
