"""Every change of a job's state, in one module: the web layer, the runners and the reaper call these and never
write a job's status, progress or cancel flag themselves.

    created (jobs/submit.py) -> queued
    queued  -> running    claim (a worker)
    running -> running    record_progress (progress, the latest preview; answers the cancel flag)
    running -> done       finish
    any     -> failed     fail (the pipeline failed, the queue refused it, the server restarted)
    queued  -> failed     cancel (the owner), fail_if (no worker took it in time)
    running -> failed     fail_if (its worker died too often)
    running -> queued     requeue (its worker died)

Transitions that another process may race (a claim, a cancel, the reaper's) are one conditional UPDATE, so two
processes never both make them; every failure drops the job's uploaded inputs (they are private).
"""

from __future__ import annotations

from sqlalchemy import select, update

from ..db import DONE, FAILED, QUEUED, RUNNING, Job, utcnow
from ..extensions import db
from .inputs import forget_inputs

CANCELLED_MESSAGE = "Cancelled."


def claim(job_id: str) -> Job | None:
    """Atomically move the job from queued to running, so two workers never run the same job. None when it was
    not queued any more (or was cancelled while queued: then it fails as cancelled)."""
    claimed = db.session.execute(
        update(Job).where(Job.id == job_id, Job.status == QUEUED, Job.cancel_requested.is_(False))
        .values(status=RUNNING, started_at=utcnow(), progress=0.0)
    ).rowcount
    db.session.commit()
    job = db.session.get(Job, job_id)
    if job is not None and not claimed and job.status == QUEUED and job.cancel_requested:
        fail(job, CANCELLED_MESSAGE)
        return None
    return job if claimed else None


def record_progress(job_id: str, progress: float, preview_key: str | None = None,
                    preview_rev: int | None = None) -> bool | None:
    """Write a running job's progress (and its latest preview). Returns whether its cancellation was requested,
    or None when the job no longer exists (its account was deleted)."""
    values: dict[str, object] = {"progress": float(min(max(progress, 0.0), 1.0))}
    if preview_key is not None:
        values.update(preview_key=preview_key, preview_rev=preview_rev)
    db.session.execute(update(Job).where(Job.id == job_id).values(**values))
    db.session.commit()
    row = db.session.execute(select(Job.cancel_requested).where(Job.id == job_id)).first()
    return None if row is None else bool(row[0])


def finish(job: Job) -> None:
    """The job made its images (the caller added their rows): done."""
    job.status = DONE
    job.error = None
    job.finished_at = utcnow()
    job.progress = 1.0
    # the last preview stays a few minutes (a browser may still be fetching it); maintenance removes it
    db.session.commit()


def fail(job: Job, message: str) -> None:
    """The job failed with the reason shown to its owner; its uploads have no use any more."""
    job.status = FAILED
    job.error = message
    job.finished_at = utcnow()
    forget_inputs(job)
    db.session.commit()


def fail_if(job_id: str, status: str, message: str) -> bool:
    """Fail the job only if it is still `status` (another process may have moved it meanwhile). Returns whether
    it did."""
    changed = db.session.execute(
        update(Job).where(Job.id == job_id, Job.status == status)
        .values(status=FAILED, error=message, finished_at=utcnow())).rowcount
    db.session.commit()
    if changed:
        job = db.session.get(Job, job_id)
        if job is not None:
            forget_inputs(job)
            db.session.commit()
    return bool(changed)


def request_cancel(job: Job) -> None:
    """Ask the job to stop: a worker sees the flag at its next progress report. The caller commits."""
    if not job.finished:
        job.cancel_requested = True


def cancel(job: Job) -> None:
    """Cancel a job: a queued one fails at once, a running one at its next progress report."""
    if job.finished:
        return
    request_cancel(job)
    db.session.commit()
    if job.status == QUEUED:  # only if still queued: a worker may have just claimed it
        fail_if(job.id, QUEUED, CANCELLED_MESSAGE)
        db.session.refresh(job)


def requeue(job_id: str) -> bool:
    """Put a running job whose worker died back in the queue (unless its cancellation was requested). Returns
    whether it did."""
    changed = db.session.execute(
        update(Job).where(Job.id == job_id, Job.status == RUNNING, Job.cancel_requested.is_(False))
        .values(status=QUEUED, progress=0.0, started_at=None)).rowcount
    db.session.commit()
    return bool(changed)
