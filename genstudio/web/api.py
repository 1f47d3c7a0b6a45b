"""JSON API under /api/v1: bearer tokens (or a logged-in browser session, with CSRF on writes).

Anonymous calls get 401; anonymous visitors use the pages' own routes (see web/jobs.py).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, g, jsonify, request, url_for
from flask_login import current_user

from ..db import Image, Job
from ..extensions import csrf, db, limiter, studio
from ..jobs import Owner, make_again
from ..services.base import N_
from . import jobapi
from .identity import bearer_user, client_key, viewable_image

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.before_request
def authenticate():
    user = bearer_user(request.headers.get("Authorization"))
    if user is False:
        return jobapi.error("invalid API token", 401)
    if user is None:
        if not current_user.is_authenticated:
            return jobapi.error("authentication required: send Authorization: Bearer <token>", 401)
        user = current_user
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()  # a browser session must prove the request came from our pages
    g.api_user = user
    return None


def owner() -> Owner:
    return Owner(user_id=g.api_user.id, client=client_key())


def rate_key_user() -> str:
    user = getattr(g, "api_user", None)
    return f"user:{user.id}" if user is not None else f"ip:{request.remote_addr}"


URLS = {
    "job": lambda job_id: url_for("api.get_job", job_id=job_id),
    "preview": lambda job_id, rev: url_for("api.job_preview", job_id=job_id, rev=rev),
    "image": lambda image_id: url_for("api.get_image", image_id=image_id),
    "page": lambda image_id: url_for("gallery.image_page", image_id=image_id),
    "download": lambda image_id: url_for("api.get_image", image_id=image_id, download=1),
}


def as_json(job: Job) -> dict:
    return jobapi.job_json(job, URLS)


@bp.get("/services")
def services():
    st = studio()
    out = []
    for service in st.registry:
        out.append({
            "name": service.name,
            "title": service.title,
            "description": service.description,
            "status": service.status(),
            "accepts_upload": service.accepts_upload,
            "default_model": service.default_model,
            "models": [{"name": m, "status": "ready" if service.is_installed(m) else "missing"}
                       for m in service.models()],
            "params": service.schema.describe(),
            "install_hint": service.install_hint if service.status() != "ready" else None,
            "page": f"/{service.name}/",
        })
    return jsonify({"services": out})


def job_user_limit() -> str:
    return current_app.config["JOB_RATE_LIMIT_USER"]


def job_ip_limit() -> str:
    return current_app.config["JOB_RATE_LIMIT_IP"]


# One budget for every route that creates a job (API, pages, "make again"): counted per user and per address
# across all of them, so that switching routes does not reset a client's count.
JOBS_SCOPE_USER, JOBS_SCOPE_IP = "jobs-user", "jobs-ip"


def ip_rate_limit():
    return limiter.shared_limit(job_ip_limit, scope=JOBS_SCOPE_IP)


@bp.post("/jobs")
@limiter.shared_limit(job_user_limit, scope=JOBS_SCOPE_USER, key_func=rate_key_user)
@ip_rate_limit()
def create_job():
    return jobapi.submit_from_request(owner(), as_json)


@bp.get("/jobs")
def list_jobs():
    from sqlalchemy import select

    jobs = db.session.scalars(
        select(Job).where(Job.user_id == g.api_user.id).order_by(Job.created_at.desc()).limit(50))
    return jsonify({"jobs": [as_json(job) for job in jobs]})


@bp.get("/jobs/<job_id>")
def get_job(job_id: str):
    return jobapi.job_state_response(job_id, owner(), as_json)


@bp.post("/jobs/<job_id>/cancel")
@bp.delete("/jobs/<job_id>")
def cancel_job(job_id: str):
    return jobapi.cancel_response(job_id, owner(), as_json)


@bp.get("/jobs/<job_id>/preview")
def job_preview(job_id: str):
    job = jobapi.load_owned_job(job_id, owner())
    return preview_response(job)


def preview_response(job: Job) -> Response:
    if not job.preview_key:
        abort(404)
    try:
        data = studio().storage.get(job.preview_key)
    except FileNotFoundError:
        abort(404)
    return Response(data, mimetype="image/png", headers={"Cache-Control": "no-store"})


def image_response(image: Image, download: bool) -> Response:
    """The stored PNG (recipe chunks included); a missing file is a 404 with a message."""
    try:
        data = studio().storage.get(image.storage_key)
    except FileNotFoundError:
        abort(404, description=N_("the image file is missing from storage"))
    headers = {"Cache-Control": "private, max-age=3600" if not image.public else "public, max-age=3600"}
    if download:
        headers["Content-Disposition"] = f'attachment; filename="genstudio-{image.service}-{image.id}.png"'
    return Response(data, mimetype="image/png", headers=headers)


@bp.get("/images")
def list_images():
    from sqlalchemy import select

    images = db.session.scalars(
        select(Image).where(Image.user_id == g.api_user.id).order_by(Image.created_at.desc()).limit(100))
    return jsonify({"images": [image_json(im) for im in images]})


def image_json(image: Image) -> dict:
    return {"id": image.id, "url": url_for("api.get_image", image_id=image.id), "service": image.service,
            "model": image.model, "checkpoint": image.checkpoint, "public": image.public,
            "recipe": image.recipe, "job": image.job_id, "created_at": image.created_at.isoformat() + "Z"}


@bp.get("/images/<image_id>")
def get_image(image_id: str):
    return image_response(viewable_image(image_id, owner()), request.args.get("download") == "1")


@bp.get("/images/<image_id>/recipe")
def get_recipe(image_id: str):
    return jsonify(image_json(viewable_image(image_id, owner())))


@bp.post("/images/<image_id>/again")
@limiter.shared_limit(job_user_limit, scope=JOBS_SCOPE_USER, key_func=rate_key_user)
@ip_rate_limit()
def again(image_id: str):
    image = viewable_image(image_id, owner())
    wait = jobapi.parse_wait(request.args.get("wait"))

    def run():
        job = make_again(image, owner())
        return jobapi.answer_job(job, jobapi.wait_cap(job.service, wait), as_json, created=True)
    return jobapi.handle_job_errors(run)
