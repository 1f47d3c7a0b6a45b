"""JSON API under /api/v1: bearer tokens (or a logged-in browser session, with CSRF on writes).

Anonymous calls get 401; anonymous visitors use the pages' own routes (see web/jobs.py).
"""

from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, request, url_for
from flask_login import current_user

from ..db import Image, Job
from ..extensions import csrf, db, studio
from ..jobs import Owner, make_again
from . import jobapi
from .files import image_response, preview_response
from .identity import bearer_user, client_key, viewable_image
from .limits import creates_jobs

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.before_request
def authenticate():
    user = bearer_user(request.headers.get("Authorization"))
    if user is False:
        abort(401, description="invalid API token")
    if user is None:
        if not current_user.is_authenticated:
            abort(401, description="authentication required: send Authorization: Bearer <token>")
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


def as_json(job: Job) -> dict:
    return jobapi.job_json(job, jobapi.API_LINKS)


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
            "params": service.describe_params(),
            "install_hint": service.install_hint if service.status() != "ready" else None,
            "page": f"/{service.name}/",
        })
    return jsonify({"services": out})


@bp.post("/jobs")
@creates_jobs(rate_key_user)
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
    return preview_response(jobapi.load_owned_job(job_id, owner()))


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
@creates_jobs(rate_key_user)
def again(image_id: str):
    image = viewable_image(image_id, owner())
    wait = jobapi.parse_wait(request.args.get("wait"))
    job = make_again(image, owner())
    return jobapi.answer_job(job, jobapi.wait_cap(job.service, wait), as_json, created=True)
