"""Housekeeping shared by runners: anonymous visitors' images are temporary, and private files (uploaded photos,
previews) never outlive what they belong to."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask
from sqlalchemy import delete, func, select

from ..db import ACTIVE, DONE, FAILED, Image, Job, LoginSession, utcnow
from ..extensions import db, studio
from .inputs import forget_inputs

log = logging.getLogger(__name__)
ORPHAN_GRACE_SECONDS = 3600  # a file without a job is left alone this long (a job being created writes it first)


def housekeeping(app: Flask) -> None:
    """What the runners run now and then: expire anonymous work and old logins, sweep orphaned private files."""
    cleanup_anonymous(app)
    prune_logins(app)
    sweep_files(app)


def prune_logins(app: Flask) -> int:
    """Forget logins older than a remember-me cookie lives (a year by default): they end, like the cookie."""
    with app.app_context():
        lifetime = app.config.get("REMEMBER_COOKIE_DURATION") or timedelta(days=365)
        if not isinstance(lifetime, timedelta):
            lifetime = timedelta(seconds=float(lifetime))
        removed = db.session.execute(delete(LoginSession).where(LoginSession.created_at < utcnow() - lifetime))
        db.session.commit()
        return removed.rowcount or 0


def drop_unused_job_files(job: Job) -> None:
    """Once a finished job has no image left, its uploaded inputs and last preview are private data with no use
    (nothing can be made again from them). The caller commits."""
    left = db.session.scalar(select(func.count(Image.id)).where(Image.job_id == job.id))
    if not job.finished or left:
        return
    forget_inputs(job)
    if job.preview_key:
        studio().storage.delete(job.preview_key)
        job.preview_key = None


def _job_id(key: str) -> str | None:
    """The job a private file belongs to: inputs/<owner>/<job>/<name> or previews/<job>.png."""
    parts = key.split("/")
    if parts[0] == "inputs" and len(parts) >= 4:
        return parts[2]
    if parts[0] == "previews" and len(parts) == 2:
        return parts[1].removesuffix(".png")
    return None


def sweep_files(app: Flask, grace: float = ORPHAN_GRACE_SECONDS) -> int:
    """Delete uploads and previews whose job is gone (older than `grace` seconds), and the uploads of failed
    jobs or of jobs whose images are all deleted (e.g. failed by another process's plain UPDATE). Returns the
    number of files removed. Storage backends without a listing are not swept."""
    with app.app_context():
        storage = studio(app).storage
        try:
            files = {**storage.listing("inputs"), **storage.listing("previews")}
        except NotImplementedError:
            return 0
        by_job: dict[str, list[str]] = {}
        for key in files:
            job_id = _job_id(key)
            if job_id:
                by_job.setdefault(job_id, []).append(key)
        ids = list(by_job)
        jobs: dict[str, Job] = {}
        with_images: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            jobs.update((job.id, job) for job in db.session.scalars(select(Job).where(Job.id.in_(chunk))))
            with_images.update(db.session.scalars(select(Image.job_id).where(Image.job_id.in_(chunk)).distinct()))
        removed = 0
        for job_id, keys in by_job.items():
            job = jobs.get(job_id)
            if job is None:
                stale = [key for key in keys if files[key] > grace]
            elif job.status == FAILED or (job.status == DONE and job_id not in with_images):
                stale = [key for key in keys if key.startswith("inputs/")]
                forget_inputs(job)
            else:
                continue
            for key in stale:
                storage.delete(key)
            removed += len(stale)
        db.session.commit()
        if removed:
            log.info("removed %d orphaned private file(s)", removed)
        return removed


def cleanup_anonymous(app: Flask) -> int:
    """Delete anonymous images, jobs and inputs older than ANON_IMAGE_TTL_HOURS. Returns images removed."""
    with app.app_context():
        cutoff = utcnow() - timedelta(hours=float(app.config["ANON_IMAGE_TTL_HOURS"]))
        st = studio(app)
        images = list(db.session.scalars(
            select(Image).where(Image.user_id.is_(None), Image.created_at < cutoff)))
        for image in images:
            st.storage.delete(image.storage_key)
            db.session.delete(image)
        jobs = list(db.session.scalars(select(Job).where(
            Job.user_id.is_(None), Job.created_at < cutoff, Job.status.not_in(ACTIVE))))
        for job in jobs:
            forget_inputs(job)
            if job.preview_key:
                st.storage.delete(job.preview_key)
            db.session.delete(job)
        db.session.commit()
        cleanup_previews(app)
        if images:
            log.info("removed %d anonymous images", len(images))
        return len(images)


def cleanup_previews(app: Flask, minutes: float = 10.0) -> int:
    """Delete the last preview of jobs that finished more than `minutes` ago."""
    with app.app_context():
        st = studio(app)
        cutoff = utcnow() - timedelta(minutes=minutes)
        jobs = list(db.session.scalars(select(Job).where(
            Job.preview_key.is_not(None), Job.finished_at.is_not(None), Job.finished_at < cutoff)))
        for job in jobs:
            st.storage.delete(job.preview_key)
            job.preview_key = None
        db.session.commit()
        return len(jobs)
