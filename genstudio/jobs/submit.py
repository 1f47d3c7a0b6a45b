"""Creating jobs: validation, uploads, per-user limits and queue room, all before anything is queued.

Bad input never becomes a failed job: the params are checked against the schema, uploads are decoded and
handed to Service.prepare synchronously, and limits are checked, before the Job row exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from ..db import ACTIVE, QUEUED, Image, Job, new_id, utcnow
from ..errors import LimitExceeded, ModelMissing, ParamError, QueueFull, UnknownService, brief
from ..extensions import db, studio
from ..services.base import Service
from ..uploads import decode_uploads
from . import state
from .base import Owner
from .inputs import load_inputs, owner_prefix, store_inputs


def get_service(name: Any) -> Service:
    if not isinstance(name, str) or not name:
        raise ParamError("service", "is required")
    registry = studio().registry
    if name not in registry:
        raise UnknownService(f"unknown service {brief(name)}")
    return registry.get(name)


def owner_filter(model, owner: Owner):
    if owner.user_id is not None:
        return model.user_id == owner.user_id
    return (model.user_id.is_(None)) & (model.session_key == owner.session_key)


def check_limits(owner: Owner, expected: int) -> None:
    cfg = current_app.config
    active = db.session.scalar(
        select(func.count(Job.id)).where(owner_filter(Job, owner), Job.status.in_(ACTIVE))) or 0
    if active >= cfg["MAX_ACTIVE_JOBS_PER_USER"]:
        raise LimitExceeded("you already have %(active)s job(s) queued or running; wait for one to finish "
                            "(limit %(limit)s)", active=active, limit=cfg["MAX_ACTIVE_JOBS_PER_USER"])
    since = utcnow() - timedelta(days=1)
    made = db.session.scalar(
        select(func.count(Image.id)).where(owner_filter(Image, owner), Image.created_at >= since)) or 0
    pending = db.session.scalar(
        select(func.coalesce(func.sum(Job.expected_images), 0)).where(
            owner_filter(Job, owner), Job.status.in_(ACTIVE))) or 0
    limit = cfg["ANON_MAX_IMAGES_PER_DAY"] if owner.anonymous else cfg["MAX_IMAGES_PER_DAY"]
    if made + pending + expected > limit:
        raise LimitExceeded("daily image limit reached (%(limit)s images per 24 hours)", limit=limit)
    if owner.anonymous and owner.client:
        check_address_limits(owner.client, expected, since)


def check_address_limits(client: str, expected: int, since) -> None:
    """Anonymous limits per client address as well as per browser session: a new cookie is free, so without
    these one client could fill the queue with cookie-less sessions."""
    cfg = current_app.config
    anonymous = (Job.user_id.is_(None)) & (Job.client_key == client)
    active = db.session.scalar(select(func.count(Job.id)).where(anonymous, Job.status.in_(ACTIVE))) or 0
    if active >= cfg["ANON_MAX_ACTIVE_JOBS_PER_ADDRESS"]:
        raise LimitExceeded("%(active)s anonymous jobs from your network are queued or running; wait for one to "
                            "finish or sign up (limit %(limit)s)", active=active,
                            limit=cfg["ANON_MAX_ACTIVE_JOBS_PER_ADDRESS"])
    made = db.session.scalar(select(func.count(Image.id)).join(Job, Image.job_id == Job.id).where(
        anonymous, Image.user_id.is_(None), Image.created_at >= since)) or 0
    pending = db.session.scalar(select(func.coalesce(func.sum(Job.expected_images), 0)).where(
        anonymous, Job.status.in_(ACTIVE))) or 0
    if made + pending + expected > cfg["ANON_MAX_IMAGES_PER_DAY"]:
        raise LimitExceeded("daily image limit reached (%(limit)s images per 24 hours for anonymous visitors from "
                            "your network); sign up to make more", limit=cfg["ANON_MAX_IMAGES_PER_DAY"])


def check_queue_room(owner: Owner) -> None:
    """Room in the queue; anonymous jobs may take only ANON_QUEUE_SHARE of it, so that signed-in users are
    never locked out by anonymous ones."""
    cfg = current_app.config
    retry = int(cfg["JOB_RETRY_AFTER"])
    if not studio().runner.has_room():
        raise QueueFull(retry)
    if owner.anonymous:
        share = max(1, int(int(cfg["JOB_QUEUE_SIZE"]) * float(cfg["ANON_QUEUE_SHARE"])))
        queued = db.session.scalar(
            select(func.count(Job.id)).where(Job.user_id.is_(None), Job.status == QUEUED)) or 0
        if queued >= share:
            raise QueueFull(retry)


def create_job(
    service: Service,
    raw_params: Mapping[str, Any] | None,
    files: Mapping[str, bytes],
    owner: Owner,
    model: str | None = None,
    inputs: dict[str, Any] | None = None,
    only_index: int | None = None,
) -> Job:
    """Validate, prepare and queue a job. Raises ParamError, InputError, ModelMissing, LimitExceeded,
    QueueFull. `inputs` (already prepared, e.g. for "make again") skips uploads and prepare(); `only_index`
    keeps just that output of the run (one image made again)."""
    if raw_params is not None and not isinstance(raw_params, Mapping):
        raise ParamError("params", "must be an object")
    model = model or service.default_model
    if not isinstance(model, str) or model not in service.models():
        raise ParamError("model", "unknown model %(model)s; choose from %(choices)s", model=brief(model),
                         choices=", ".join(service.models()))
    params = service.schema.resolve(raw_params)
    if not service.is_installed(model):
        raise ModelMissing(f"model {model!r} is not installed — {service.install_hint or 'see the README'}")
    fields = service.upload_fields()
    for name in files:
        if name not in fields:  # refused before anything is decoded
            if fields:
                raise ParamError(name[:40], "unexpected file for the service %(service)s; it takes: %(fields)s",
                                 service=service.name, fields=", ".join(fields))
            raise ParamError(name[:40], "unexpected file for the service %(service)s; it takes no file",
                             service=service.name)
    expected = 1 if only_index is not None else max(1, int(service.expected_images(params)))
    check_limits(owner, expected)  # before any decoding: a client over its limits costs nothing
    check_queue_room(owner)
    st = studio()
    if inputs is None:
        with decode_uploads(files, current_app.config["MAX_UPLOAD_PIXELS"], service.upload_min_side) as uploads:
            inputs = service.prepare(params, uploads) or {}
    job = Job(id=new_id(), user_id=owner.user_id, session_key=None if owner.user_id else owner.session_key,
              client_key=owner.client, service=service.name, model=model, params=params,
              expected_images=expected, only_index=only_index)
    job.inputs = store_inputs(st.storage, f"inputs/{owner_prefix(job.user_id, job.session_key)}/{job.id}", inputs)
    db.session.add(job)
    db.session.commit()
    try:
        st.runner.submit(job.id)
    except QueueFull as exc:
        state.fail(job, str(exc))  # full, or (distributed runner) the queue server is away; drops the inputs
        raise
    return job


def make_again(source: Image, owner: Owner) -> Job:
    """Queue `source` again: same service, model and params (seed included), a copy of its stored inputs, and
    only its own index kept (the run's other images may be private). Inputs are private, so only their owner
    can remake an upload-based image."""
    service = get_service(source.service)
    inputs: dict[str, Any] | None = {}
    job = source.job
    if job is not None and job.inputs:
        same_owner = (owner.user_id is not None and job.user_id == owner.user_id) or (
            owner.user_id is None and job.user_id is None and job.session_key == owner.session_key)
        if not same_owner:
            raise ParamError("image", "only the owner can make this image again: it was made from their upload")
        inputs = load_inputs(studio().storage, job.inputs)
    elif service.accepts_upload:
        raise ParamError("image", "the upload this image was made from is no longer stored")
    return create_job(service, source.recipe.get("params", {}), {}, owner, model=source.model, inputs=inputs,
                      only_index=source.index)
