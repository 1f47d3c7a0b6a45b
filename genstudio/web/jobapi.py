"""What the API (`/api/v1/jobs`) and the pages' own job routes (`/jobs/`) share: parsing a job request,
waiting, cancelling and the job's JSON shape. Only the links and auth differ. Errors are raised, and answered
by the one error mapping (web/errors.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, jsonify, request, url_for

from ..db import Job
from ..errors import ParamError
from ..extensions import db, studio
from ..jobs import Owner, cancel, create_job, get_service
from .identity import owns


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def strict_json(data: str | bytes) -> Any:
    """Standard JSON only: no NaN / Infinity (Python accepts them), and deep nesting is a ValueError, not a
    RecursionError that would end as a 500."""
    try:
        return json.loads(data, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None


def parse_job_request() -> tuple[str, Any, dict[str, bytes], str | None, float]:
    """(service, raw params, uploaded files, model, wait seconds) from a JSON or multipart body."""
    files: dict[str, bytes] = {}
    if request.mimetype == "application/json":
        try:
            body = strict_json(request.get_data(cache=True))
        except ValueError:
            abort(400, description="the body is not valid JSON")
        if not isinstance(body, dict):
            abort(400, description="the body must be a JSON object")
        service, params, model, wait = body.get("service"), body.get("params", {}), body.get("model"), body.get("wait")
    elif request.mimetype == "multipart/form-data":
        form = request.form
        service, model, wait = form.get("service"), form.get("model") or None, form.get("wait")
        try:
            params = strict_json(form.get("params") or "{}")
        except ValueError:
            raise ParamError("params", "must be a JSON object") from None
        files = {name: upload.read() for name, upload in request.files.items()}
    else:
        abort(415, description="send the job as application/json or multipart/form-data")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ParamError("params", "must be an object")
    if model is not None and not isinstance(model, str):
        raise ParamError("model", "must be a string")
    return service, params, files, model, parse_wait(request.args.get("wait", wait))


def parse_wait(value: Any) -> float:
    if value in (None, ""):
        return 0.0
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ParamError("wait", "must be a number of seconds") from None
    if seconds != seconds or seconds < 0:
        raise ParamError("wait", "must be a number of seconds")
    return min(seconds, float(current_app.config["JOB_WAIT_MAX"]))


def wait_cap(service_name: str, seconds: float) -> float:
    """A service that declares sync_seconds may be waited on at most that long."""
    registry = studio().registry
    if seconds and service_name in registry:
        sync = registry.get(service_name).sync_seconds
        if sync:
            seconds = min(seconds, float(sync))
    return seconds


def submit_from_request(owner: Owner, job_json: Callable[[Job], dict[str, Any]]):
    """POST handler body: create the job, optionally wait a little, answer 202 (or 200 when finished)."""
    service_name, params, files, model, wait = parse_job_request()
    service = get_service(service_name)
    job = create_job(service, params, files, owner, model=model)
    return answer_job(job, wait_cap(service.name, wait), job_json, created=True)


def answer_job(job: Job, wait: float, job_json: Callable[[Job], dict[str, Any]], created: bool = False):
    if wait > 0 and not job.finished:
        studio().runner.wait(job.id, wait)
        db.session.expire_all()
        job = db.session.get(Job, job.id)
    body = job_json(job)
    # a new job answers 202 (even if a fast worker already finished it); 200 when the caller waited for it
    status = 202 if created and not (wait > 0 and job.finished) else 200
    return jsonify(body), status


def job_state_response(job_id: str, owner: Owner, job_json: Callable[[Job], dict[str, Any]]):
    """GET a job for the API and the pages alike: 404 unless owned, optional ?wait=seconds for fast services."""
    job = load_owned_job(job_id, owner)
    return answer_job(job, wait_cap(job.service, parse_wait(request.args.get("wait"))), job_json)


def cancel_response(job_id: str, owner: Owner, job_json: Callable[[Job], dict[str, Any]]):
    """Cancel an owned job (404 otherwise) and answer its new state."""
    job = load_owned_job(job_id, owner)
    cancel(job)
    return jsonify(job_json(job))


def load_owned_job(job_id: str, owner: Owner) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or not owns(job, owner):
        abort(404)
    return job


@dataclass(frozen=True)
class Links:
    """The endpoints a job's JSON links to: the job, its preview and its images' files (an image's page is the
    gallery's for everyone)."""

    job: str  # takes job_id
    preview: str  # takes job_id and rev
    image: str  # takes image_id (and download=1 for the attachment)


API_LINKS = Links(job="api.get_job", preview="api.job_preview", image="api.get_image")
PAGE_LINKS = Links(job="jobs.get_job", preview="jobs.preview", image="gallery.image_file")


def job_json(job: Job, links: Links) -> dict[str, Any]:
    """The job shape documented in the README, linking to the API's or the pages' routes."""
    running = job.status == "running"
    return {
        "id": job.id,
        "service": job.service,
        "model": job.model,
        "status": job.status,
        "progress": round(float(job.progress or 0.0), 4),
        "position": job.queue_position(),
        "params": job.params,
        "error": job.error,
        "cancelled": bool(job.cancelled),
        "url": url_for(links.job, job_id=job.id),
        "preview_url": url_for(links.preview, job_id=job.id, rev=job.preview_rev)
        if running and job.preview_key else None,
        "images": [
            {"id": im.id, "index": im.index, "url": url_for(links.image, image_id=im.id),
             "page": url_for("gallery.image_page", image_id=im.id),
             "download": url_for(links.image, image_id=im.id, download=1), "width": im.width, "height": im.height,
             "sha256": im.sha256}
            for im in job.images
        ],
        "created_at": job.created_at.isoformat() + "Z",
        "finished_at": job.finished_at.isoformat() + "Z" if job.finished_at else None,
    }
