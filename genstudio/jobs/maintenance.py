"""Housekeeping shared by runners: anonymous visitors' images are temporary."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from ..db import ACTIVE, Image, Job, utcnow
from ..extensions import db, studio

log = logging.getLogger(__name__)


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
        from .execute import delete_inputs

        for job in jobs:
            delete_inputs(st.storage, job.inputs)
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
