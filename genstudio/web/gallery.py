"""Galleries: my images (private by default), the public feed, one image's page, its file, share/delete."""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..db import Image, utcnow
from ..extensions import db, studio
from ..jobs.maintenance import drop_unused_job_files
from .api import image_response
from .auth import safe_next
from .forms import ActionForm
from .identity import owns, viewable_image, web_owner

bp = Blueprint("gallery", __name__, url_prefix="/gallery")


MAX_PAGE = 100_000  # far beyond any gallery, far below what a database offset can hold


def page_number() -> int:
    """?page= as a number (garbage reads as 1); a page no gallery can reach is 404, not an SQL overflow."""
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1
    if page > MAX_PAGE:
        abort(404)
    return page


def service_filter(query):
    service = request.args.get("service")
    if service and service in studio().registry:
        query = query.where(Image.service == service)
    return query, service


@bp.get("/")
def index():
    return redirect(url_for("gallery.mine" if current_user.is_authenticated else "gallery.public"))


@bp.get("/mine")
@login_required
def mine():
    query, service = service_filter(select(Image).where(Image.user_id == current_user.id))
    pagination = db.paginate(query.order_by(Image.created_at.desc(), Image.index),
                             page=page_number(), per_page=current_app.config["GALLERY_PAGE_SIZE"], error_out=False)
    return render_template("gallery/list.html", pagination=pagination, mode="mine", service=service,
                           action_form=ActionForm())


@bp.get("/public")
def public():
    query, service = service_filter(select(Image).where(Image.public.is_(True)))
    pagination = db.paginate(query.order_by(Image.shared_at.desc(), Image.created_at.desc()),
                             page=page_number(), per_page=current_app.config["GALLERY_PAGE_SIZE"], error_out=False)
    return render_template("gallery/list.html", pagination=pagination, mode="public", service=service,
                           action_form=ActionForm())


@bp.get("/image/<image_id>")
def image_page(image_id: str):
    image = viewable_image(image_id, web_owner())
    recipe = image.recipe
    if not isinstance(recipe, dict):
        raise ValueError(f"image {image.id} has a corrupt recipe")
    registry = studio().registry
    service = registry.get(image.service) if image.service in registry else None
    is_owner = owns(image, web_owner())
    can_remake = service is not None and (is_owner or not service.accepts_upload)
    return render_template(
        "gallery/image.html", image=image, recipe=recipe, service=service, is_owner=is_owner,
        can_remake=can_remake, recipe_json=json.dumps(recipe, indent=2, sort_keys=True, ensure_ascii=False),
        action_form=ActionForm())


@bp.get("/image/<image_id>.png")
def image_file(image_id: str):
    return image_response(viewable_image(image_id, web_owner()), request.args.get("download") == "1")


def owned(image_id: str) -> Image:
    image = db.session.get(Image, image_id)
    if image is None or not current_user.is_authenticated or image.user_id != current_user.id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    return image


@bp.post("/image/<image_id>/share")
@login_required
def share(image_id: str):
    image = owned(image_id)
    image.public = not image.public
    image.shared_at = utcnow() if image.public else None
    db.session.commit()
    flash(_("The image is now public.") if image.public else _("The image is now private."), "success")
    return redirect(safe_next(url_for("gallery.image_page", image_id=image.id)))


@bp.post("/image/<image_id>/delete")
@login_required
def delete(image_id: str):
    image = owned(image_id)
    job = image.job
    studio().storage.delete(image.storage_key)
    db.session.delete(image)
    db.session.flush()
    if job is not None:
        drop_unused_job_files(job)  # the last image of its job: the uploaded photo goes with it
    db.session.commit()
    flash(_("Image deleted."), "info")
    return redirect(url_for("gallery.mine"))
