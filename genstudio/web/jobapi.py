"""What the API (`/api/v1/jobs`) and the pages' own job routes (`/jobs/`) share: parsing a job request,
mapping errors to JSON answers, waiting, and the job's JSON shape. Only the URLs and auth differ."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from ..db import Job
from ..extensions import db, studio
from ..jobs import LimitExceeded, Owner, QueueFull, UnknownService, create_job, get_service
from ..services.base import InputError, ModelMissing, ParamError
from ..storage import StorageError
from .identity import owns
from .strings import localize, param_error


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def error(message: str, status: int, **extra: Any):
    response = jsonify({"error": message, **extra})
    response.status_code = status
    return response


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
            raise BadRequest("the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
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
        raise BadRequest("send the job as application/json or multipart/form-data", 415)
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


def handle_job_errors(fn: Callable[[], Any]):
    """Run fn and turn job-creation errors into JSON errors with the right status."""
    try:
        return fn()
    except BadRequest as exc:
        return error(exc.message, exc.status)
    except UnknownService as exc:
        return error(str(exc), 404)
    except ParamError as exc:
        return error(param_error(exc), 422, field=exc.field)
    except InputError as exc:
        response = error(localize(exc), exc.status, field=exc.field)
        if exc.status == 503:  # the server's pixel budget stayed full
            response.headers["Retry-After"] = "5"
        return response
    except ModelMissing as exc:
        return error(str(exc), 503, missing=True)
    except LimitExceeded as exc:
        return error(localize(exc), 429)
    except QueueFull as exc:
        response = error(localize(exc), 503)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except StorageError as exc:  # e.g. StorageFull: the image storage quota or the disk is full
        return error(str(exc), 507)
    except HTTPException:
        raise


def submit_from_request(owner: Owner, job_url: Callable[[Job], dict[str, Any]]):
    """POST handler body: create the job, optionally wait a little, answer 202 (or 200 when finished)."""
    def run():
        service_name, params, files, model, wait = parse_job_request()
        service = get_service(service_name)
        job = create_job(service, params, files, owner, model=model)
        return answer_job(job, wait_cap(service.name, wait), job_url, created=True)
    return handle_job_errors(run)


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
    return handle_job_errors(  # a bad ?wait= is a 422 like any other parameter
        lambda: answer_job(job, wait_cap(job.service, parse_wait(request.args.get("wait"))), job_json))


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


def cancel(job: Job) -> None:
    """Cancel a job: a queued one fails at once, a running one at its next progress report."""
    from sqlalchemy import update

    from ..db import FAILED, QUEUED, utcnow
    from ..jobs.execute import CANCELLED_MESSAGE, forget_inputs

    if job.finished:
        return
    job.cancel_requested = True
    db.session.commit()
    if job.status == QUEUED:
        # only if still queued: a worker may have just claimed it (then it stops at the next progress call)
        changed = db.session.execute(
            update(Job).where(Job.id == job.id, Job.status == QUEUED)
            .values(status=FAILED, error=CANCELLED_MESSAGE, finished_at=utcnow())).rowcount
        db.session.commit()
        db.session.refresh(job)
        if changed:
            forget_inputs(job)
            db.session.commit()


def job_json(job: Job, urls: dict[str, Callable[..., str]]) -> dict[str, Any]:
    """The job shape documented in the README; `urls` builds the links for API or page routes."""
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
        "url": urls["job"](job.id),
        "preview_url": urls["preview"](job.id, job.preview_rev) if running and job.preview_key else None,
        "images": [
            {"id": im.id, "index": im.index, "url": urls["image"](im.id), "page": urls["page"](im.id),
             "download": urls["download"](im.id), "width": im.width, "height": im.height, "sha256": im.sha256}
            for im in job.images
        ],
        "created_at": job.created_at.isoformat() + "Z",
        "finished_at": job.finished_at.isoformat() + "Z" if job.finished_at else None,
    }
