"""Running one job: the function every runner calls, so that job behaviour is written once.

Claim the job (queued -> running) -> the service's pipeline, held by this job alone -> generate with a progress
callback (which writes progress and a preview to the job and raises Cancelled once cancellation was requested)
-> write each output as a PNG with its recipe through storage -> Image rows -> done, or failed with the reason.
State changes go through jobs/state.py.
"""

from __future__ import annotations

import hashlib
import logging
import time

from flask import Flask
from PIL import Image as PILImage

from ..db import Image, Job, new_id
from ..errors import Cancelled, InputError, ModelMissing, ParamError
from ..extensions import db, studio
from ..recipes import encode_png, encode_preview, make_recipe
from ..storage import Storage
from . import state
from .inputs import load_inputs, owner_prefix

log = logging.getLogger(__name__)


# ---- progress ----

class ProgressReporter:
    """The progress(fraction, preview) callback handed to pipelines.

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
        if preview is not None:
            self.storage.put(self.preview_key, encode_preview(preview))
            self.rev += 1
        cancel = state.record_progress(self.job_id, fraction, self.preview_key if preview is not None else None,
                                       self.rev)
        if cancel is None:  # the job was deleted (its account was): nobody will ever clean its preview up
            self.storage.delete(self.preview_key)
            raise Cancelled()
        if cancel:
            raise Cancelled()


# ---- the job ----

def execute_job(app: Flask, job_id: str) -> str | None:
    """Run one queued job to completion inside an app context. Returns the final status (None if skipped)."""
    with app.app_context():
        try:
            return _execute(job_id)
        finally:
            db.session.remove()


def _execute(job_id: str) -> str | None:
    job = state.claim(job_id)
    if job is None:
        return None
    st = studio()
    reporter = ProgressReporter(job.id, st.storage)
    stored: list[str] = []
    try:
        if job.service not in st.registry:
            raise ModelMissing(f"the service {job.service!r} is not available on this server")
        service = st.registry.get(job.service)
        with service.pipeline_in_use(job.model) as pipeline:
            inputs = load_inputs(st.storage, job.inputs)
            outputs = pipeline.generate(dict(job.params), inputs, reporter)
        if not outputs:
            raise RuntimeError("the model returned no images")
        made = list(enumerate(outputs))
        if job.only_index is not None:  # one image made again: its siblings are not handed out
            made = [(i, out) for i, out in made if i == job.only_index]
            if not made:
                raise RuntimeError(f"the model made {len(outputs)} image(s); image {job.only_index} is not among them")
        prefix = owner_prefix(job.user_id, job.session_key)
        for index, output in made:
            checkpoint = output.checkpoint or pipeline.checkpoint
            recipe = make_recipe(job.service, job.model, checkpoint, job.params, index, output.extra)
            data = encode_png(output.image, recipe)
            image = Image(id=new_id(), job=job, user_id=job.user_id, session_key=job.session_key, index=index,
                          service=job.service, model=job.model, checkpoint=checkpoint, recipe=recipe,
                          storage_key="", sha256=hashlib.sha256(data).hexdigest(),
                          width=output.image.width, height=output.image.height)
            image.storage_key = f"images/{prefix}/{image.id}.png"
            st.storage.put(image.storage_key, data)
            stored.append(image.storage_key)
            db.session.add(image)
        state.finish(job)
    except Cancelled:
        _fail(job_id, state.CANCELLED_MESSAGE, stored)
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
        state.fail(job, message)
    else:  # deleted while it ran (its account was deleted): leave none of its files behind
        st.storage.delete(f"previews/{job_id}.png")
