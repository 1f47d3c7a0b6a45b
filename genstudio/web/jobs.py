"""The pages' own job routes (JSON, session cookie + CSRF header): what service pages and anonymous
visitors use. Same shapes as /api/v1/jobs; anonymous jobs belong to the browser session."""

from __future__ import annotations

from flask import Blueprint, abort, request
from flask_babel import gettext

from ..db import Image, Job
from ..extensions import db
from ..jobs import make_again
from . import jobapi
from .files import preview_response
from .identity import can_view, web_owner
from .limits import creates_jobs

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def rate_key() -> str:
    owner = web_owner()
    if owner.user_id is not None:
        return f"user:{owner.user_id}"
    return f"anon:{owner.session_key or request.remote_addr}"


def as_json(job: Job) -> dict:
    """The job for the pages: its error in the visitor's language where the catalogue has it."""
    body = jobapi.job_json(job, jobapi.PAGE_LINKS)
    if body["error"]:
        body["error"] = gettext(body["error"])
    return body


@bp.post("/")
@creates_jobs(rate_key)
def create():
    return jobapi.submit_from_request(web_owner(create=True), as_json)


@bp.get("/<job_id>")
def get_job(job_id: str):
    return jobapi.job_state_response(job_id, web_owner(), as_json)


@bp.post("/<job_id>/cancel")
def cancel(job_id: str):
    return jobapi.cancel_response(job_id, web_owner(), as_json)


@bp.get("/<job_id>/preview.png")
def preview(job_id: str):
    return preview_response(jobapi.load_owned_job(job_id, web_owner()))


@bp.post("/again/<image_id>")
@creates_jobs(rate_key)
def again(image_id: str):
    owner = web_owner(create=True)
    image = db.session.get(Image, image_id)
    if image is None or not can_view(image, owner):
        abort(404)
    return jobapi.answer_job(make_again(image, owner), 0, as_json, created=True)
