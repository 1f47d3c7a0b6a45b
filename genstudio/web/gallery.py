"""Galleries: my images (private by default), the public feed, one image's page, its file, share/delete."""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import Select, func, select

from ..db import Image, utcnow
from ..extensions import db, studio
from ..jobs.maintenance import drop_unused_job_files
from .auth import safe_next
from .files import image_response
from .forms import ActionForm
from .identity import owns, viewable_image, web_owner
from .recipe_view import recipe_rows

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


def job_covers(where) -> Select:
    """The ids of the first remaining image of each job (an image without a job is its own group)."""
    group = func.coalesce(Image.job_id, Image.id)
    ranked = select(Image.id, func.row_number().over(partition_by=group, order_by=(Image.index, Image.id))
                    .label("rank")).where(where).subquery()
    return select(ranked.c.id).where(ranked.c.rank == 1)


def images_per_job(job_ids: list[str], where) -> dict[str, int]:
    rows = db.session.execute(select(Image.job_id, func.count(Image.id)).where(where, Image.job_id.in_(job_ids))
                              .group_by(Image.job_id)).all()
    return {job_id: count for job_id, count in rows}


@bp.get("/mine")
@login_required
def mine():
    """My images, one card per job by default (a job of 8 faces is one card saying so); `?group=0` shows every
    image, `?job=<id>` the images of one job."""
    mine_only = Image.user_id == current_user.id
    query, service = service_filter(select(Image).where(mine_only))
    job_id = request.args.get("job") or None
    grouped = request.args.get("group") != "0" and job_id is None
    order = (Image.created_at.desc(), Image.index)
    if job_id is not None:
        query, order = query.where(Image.job_id == job_id), (Image.index,)
    elif grouped:
        query = query.where(Image.id.in_(job_covers(mine_only)))
    pagination = db.paginate(query.order_by(*order),
                             page=page_number(), per_page=current_app.config["GALLERY_PAGE_SIZE"], error_out=False)
    counts = images_per_job([im.job_id for im in pagination.items if im.job_id], mine_only) if grouped else {}
    page_args = {k: v for k, v in {"service": service, "job": job_id, "group": None if grouped or job_id else 0}
                 .items() if v is not None}
    return render_template("gallery/list.html", pagination=pagination, mode="mine", service=service,
                           action_form=ActionForm(), grouped=grouped, job_id=job_id, counts=counts,
                           page_args=page_args)


@bp.get("/public")
def public():
    query, service = service_filter(select(Image).where(Image.public.is_(True)))
    pagination = db.paginate(query.order_by(Image.shared_at.desc(), Image.created_at.desc()),
                             page=page_number(), per_page=current_app.config["GALLERY_PAGE_SIZE"], error_out=False)
    return render_template("gallery/list.html", pagination=pagination, mode="public", service=service,
                           action_form=ActionForm(), page_args={"service": service} if service else {})


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
    in_job = image.job.expected_images if image.job is not None else 1
    return render_template(
        "gallery/image.html", image=image, recipe=recipe, service=service, is_owner=is_owner,
        can_remake=can_remake, recipe_json=json.dumps(recipe, indent=2, sort_keys=True, ensure_ascii=False),
        rows=recipe_rows(recipe, service, image.width, image.height, in_job), action_form=ActionForm())


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
