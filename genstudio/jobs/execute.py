"""Running one job: the function every runner calls, so that job behaviour is written once.

Load the job -> mark it running -> load the service's generator -> generate with a progress callback
(which writes progress and a preview to the job and raises Cancelled once cancellation was requested) ->
write each output as a PNG with its recipe through storage -> Image rows -> done, or failed with the reason.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
import time
from typing import Any

import numpy as np
from flask import Flask
from PIL import Image as PILImage
from sqlalchemy import select, update

from ..db import DONE, FAILED, QUEUED, RUNNING, Image, Job, new_id, utcnow
from ..extensions import db, studio
from ..recipes import encode_png, encode_preview, make_recipe
from ..services.base import Cancelled, InputError, ModelMissing, ParamError
from ..storage import Storage

log = logging.getLogger(__name__)

CANCELLED_MESSAGE = "Cancelled."
_generator_locks: dict[tuple[str, str], threading.Lock] = {}
_locks_guard = threading.Lock()


def generator_lock(service: str, model: str) -> threading.Lock:
    """Generators are used by one job at a time per process (see Generator's contract)."""
    with _locks_guard:
        return _generator_locks.setdefault((service, model), threading.Lock())


def owner_prefix(user_id: int | None, session_key: str | None) -> str:
    return f"u{user_id}" if user_id is not None else f"a{session_key}"


# ---- inputs: what Service.prepare returned, stored so that any worker (and "make again") can use it ----

def store_inputs(storage: Storage, prefix: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Write prepared inputs through storage; return a JSON manifest for Job.inputs.

    Supported values: PIL images (PNG), bytes, numpy arrays (.npy without pickle) and JSON values.
    """
    manifest: dict[str, Any] = {}
    for name, value in inputs.items():
        key = f"{prefix}/{name}"
        if isinstance(value, PILImage.Image):
            buf = io.BytesIO()
            value.save(buf, format="PNG")
            storage.put(key + ".png", buf.getvalue())
            manifest[name] = {"kind": "image", "key": key + ".png"}
        elif isinstance(value, bytes | bytearray):
            storage.put(key + ".bin", bytes(value))
            manifest[name] = {"kind": "bytes", "key": key + ".bin"}
        elif isinstance(value, np.ndarray):
            buf = io.BytesIO()
            np.save(buf, value, allow_pickle=False)
            storage.put(key + ".npy", buf.getvalue())
            manifest[name] = {"kind": "array", "key": key + ".npy"}
        else:
            json.dumps(value)  # raises TypeError for values a runner could not hand on
            manifest[name] = {"kind": "json", "value": value}
    return manifest


def load_inputs(storage: Storage, manifest: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, entry in (manifest or {}).items():
        kind = entry.get("kind")
        if kind == "json":
            out[name] = entry["value"]
            continue
        try:
            data = storage.get(entry["key"])
        except FileNotFoundError:
            raise InputError("the uploaded input of this job is no longer stored") from None
        if kind == "image":
            with PILImage.open(io.BytesIO(data)) as im:
                out[name] = im.convert("RGB") if im.mode not in ("RGB", "RGBA", "L") else im.copy()
        elif kind == "array":
            out[name] = np.load(io.BytesIO(data), allow_pickle=False)
        else:
            out[name] = data
    return out


def delete_inputs(storage: Storage, manifest: dict[str, Any]) -> None:
    for entry in (manifest or {}).values():
        if "key" in entry:
            storage.delete(entry["key"])


def forget_inputs(job: Job) -> None:
    """Delete a job's stored uploads (private data) once nothing needs them: the job failed, or every image
    made from them was deleted. The caller commits."""
    if job.inputs:
        delete_inputs(studio().storage, job.inputs)
        job.inputs = {}


# ---- progress ----

class ProgressReporter:
    """The progress(fraction, preview) callback handed to generators.

    Writes at most every `interval` seconds (the last call always), keeps only the latest preview and
    raises Cancelled as soon as the job's cancel flag is seen (or the job was deleted).
    """

    def __init__(self, job_id: str, storage: Storage, interval: float = 0.25) -> None:
        self.job_id = job_id
        self.storage = storage
        self.interval = interval
        self._last = 0.0
        self.preview_key = f"previews/{job_id}.png"
        self.rev = 0

    def __call__(self, fraction: float, preview: PILImage.Image | None = None) -> None:
        now = time.monotonic()
        if now - self._last < self.interval and fraction < 1.0:
            return
        self._last = now
        values: dict[str, Any] = {"progress": float(min(max(fraction, 0.0), 1.0))}
        if preview is not None:
            self.storage.put(self.preview_key, encode_preview(preview))
            self.rev += 1
            values.update(preview_key=self.preview_key, preview_rev=self.rev)
        db.session.execute(update(Job).where(Job.id == self.job_id).values(**values))
        db.session.commit()
        cancel = db.session.execute(select(Job.cancel_requested).where(Job.id == self.job_id)).first()
        if cancel is None:  # the job was deleted (its account was): nobody will ever clean its preview up
            self.storage.delete(self.preview_key)
            raise Cancelled()
        if cancel[0]:
            raise Cancelled()


# ---- the job ----

def execute_job(app: Flask, job_id: str) -> str | None:
    """Run one queued job to completion inside an app context. Returns the final status (None if skipped)."""
    with app.app_context():
        try:
            return _execute(job_id)
        finally:
            db.session.remove()


def _claim(job_id: str) -> Job | None:
    """Atomically move the job from queued to running, so two workers never run the same job."""
    claimed = db.session.execute(
        update(Job).where(Job.id == job_id, Job.status == QUEUED, Job.cancel_requested.is_(False))
        .values(status=RUNNING, started_at=utcnow(), progress=0.0)
    ).rowcount
    db.session.commit()
    job = db.session.get(Job, job_id)
    if job is not None and not claimed and job.status == QUEUED and job.cancel_requested:
        finish(job, FAILED, CANCELLED_MESSAGE)
        return None
    return job if claimed else None


def finish(job: Job, status: str, error: str | None = None) -> None:
    job.status = status
    job.error = error
    job.finished_at = utcnow()
    # the last preview stays a few minutes (a browser may still be fetching it); maintenance removes it
    if status == DONE:
        job.progress = 1.0
    if status == FAILED:  # uploads are private and a failed job has no use for them
        forget_inputs(job)
    db.session.commit()


def _execute(job_id: str) -> str | None:
    job = _claim(job_id)
    if job is None:
        return None
    st = studio()
    reporter = ProgressReporter(job.id, st.storage)
    stored: list[str] = []
    try:
        if job.service not in st.registry:
            raise ModelMissing(f"the service {job.service!r} is not available on this server")
        service = st.registry.get(job.service)
        generator = service.generator(job.model)
        inputs = load_inputs(st.storage, job.inputs)
        with generator_lock(job.service, job.model):
            outputs = generator.generate(dict(job.params), inputs, reporter)
        if not outputs:
            raise RuntimeError("the model returned no images")
        made = list(enumerate(outputs))
        if job.only_index is not None:  # one image made again: its siblings are not handed out
            made = [(i, out) for i, out in made if i == job.only_index]
            if not made:
                raise RuntimeError(f"the model made {len(outputs)} image(s); image {job.only_index} is not among them")
        prefix = owner_prefix(job.user_id, job.session_key)
        for index, output in made:
            recipe = make_recipe(job.service, job.model, generator.checkpoint, job.params, index, output.extra)
            data = encode_png(output.image, recipe)
            image = Image(id=new_id(), job=job, user_id=job.user_id, session_key=job.session_key, index=index,
                          service=job.service, model=job.model, checkpoint=generator.checkpoint, recipe=recipe,
                          storage_key="", sha256=hashlib.sha256(data).hexdigest(),
                          width=output.image.width, height=output.image.height)
            image.storage_key = f"images/{prefix}/{image.id}.png"
            st.storage.put(image.storage_key, data)
            stored.append(image.storage_key)
            db.session.add(image)
        finish(job, DONE)
    except Cancelled:
        _fail(job_id, CANCELLED_MESSAGE, stored)
    except (ModelMissing, ParamError, InputError) as exc:
        _fail(job_id, str(exc), stored)
    except Exception as exc:  # the job fails with the reason; the worker keeps running
        log.exception("job %s failed", job_id)
        _fail(job_id, f"{type(exc).__name__}: {exc}", stored)
    job = db.session.get(Job, job_id)
    return job.status if job is not None else None


def _fail(job_id: str, message: str, stored: list[str]) -> None:
    db.session.rollback()
    st = studio()
    for key in stored:
        st.storage.delete(key)
    job = db.session.get(Job, job_id)
    if job is not None:
        finish(job, FAILED, message)
    else:  # deleted while it ran (its account was deleted): leave none of its files behind
        st.storage.delete(f"previews/{job_id}.png")
