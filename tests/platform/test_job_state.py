"""Every transition of a job's state (genstudio/jobs/state.py), on the real database: claim, progress, finish,
fail, cancel, the reaper's conditional failure and re-queue. That no other module writes a job's state is
checked in test_architecture.py."""

from __future__ import annotations

import pytest

from genstudio.db import DONE, FAILED, QUEUED, RUNNING, Job, new_id
from genstudio.extensions import db, studio
from genstudio.jobs import state
from genstudio.jobs.inputs import store_inputs


@pytest.fixture
def app(make_app):
    app = make_app(JOB_START=False)  # no runner: the test moves the jobs itself
    with app.app_context():
        yield app


def new_job(status: str = QUEUED, cancel_requested: bool = False) -> Job:
    """A job with an uploaded input stored, as a job of a service taking photos has."""
    job = Job(id=new_id(), service="toy", model="toy-tiny", params={"seed": 1}, status=status, session_key="s",
              cancel_requested=cancel_requested)
    job.inputs = store_inputs(studio().storage, f"inputs/as/{job.id}", {"photo": b"private bytes"})
    db.session.add(job)
    db.session.commit()
    return job


def input_stored(job: Job, manifest: dict) -> bool:
    try:
        studio().storage.get(manifest["photo"]["key"])
        return True
    except FileNotFoundError:
        return False


def test_claim_moves_a_queued_job_to_running_once(app):
    job = new_job()
    claimed = state.claim(job.id)
    assert claimed is not None and claimed.status == RUNNING and claimed.started_at and claimed.progress == 0.0
    assert state.claim(job.id) is None  # a second worker gets nothing
    assert db.session.get(Job, job.id).status == RUNNING


def test_a_job_cancelled_while_queued_is_failed_instead_of_claimed(app):
    job = new_job(cancel_requested=True)
    manifest = dict(job.inputs)
    assert state.claim(job.id) is None
    job = db.session.get(Job, job.id)
    assert (job.status, job.error, job.cancelled) == (FAILED, state.CANCELLED_MESSAGE, True)
    assert job.inputs == {} and not input_stored(job, manifest)


def test_progress_is_recorded_and_answers_the_cancel_flag(app):
    job = new_job(RUNNING)
    assert state.record_progress(job.id, 1.7) is False  # clamped to 1
    assert db.session.get(Job, job.id).progress == 1.0
    assert state.record_progress(job.id, 0.5, "previews/x.png", 3) is False
    job = db.session.get(Job, job.id)
    assert (job.progress, job.preview_key, job.preview_rev) == (0.5, "previews/x.png", 3)
    state.request_cancel(job)
    db.session.commit()
    assert state.record_progress(job.id, 0.6) is True
    db.session.delete(job)
    db.session.commit()
    assert state.record_progress(job.id, 0.7) is None  # deleted meanwhile


def test_finish_and_fail(app):
    done = new_job(RUNNING)
    state.finish(done)
    assert (done.status, done.progress, done.error) == (DONE, 1.0, None) and done.finished_at
    assert done.inputs  # "make again" may still need them
    failed = new_job(RUNNING)
    manifest = dict(failed.inputs)
    state.fail(failed, "RuntimeError: out of memory")
    assert (failed.status, failed.error, failed.cancelled) == (FAILED, "RuntimeError: out of memory", False)
    assert failed.finished_at and failed.inputs == {} and not input_stored(failed, manifest)


def test_cancel_fails_a_queued_job_at_once_and_flags_a_running_one(app):
    queued = new_job()
    manifest = dict(queued.inputs)
    state.cancel(queued)
    assert (queued.status, queued.cancelled, queued.error) == (FAILED, True, state.CANCELLED_MESSAGE)
    assert not input_stored(queued, manifest)
    running = new_job(RUNNING)
    state.cancel(running)
    assert (running.status, running.cancel_requested) == (RUNNING, True)  # it stops at its next progress report
    done = new_job(RUNNING)
    state.finish(done)
    state.cancel(done)
    assert (done.status, done.cancel_requested) == (DONE, False)


def test_conditional_failure_and_requeue_only_move_a_job_still_where_expected(app):
    job = new_job(RUNNING)
    manifest = dict(job.inputs)
    assert state.fail_if(job.id, QUEUED, "no worker took it") is False  # another process moved it meanwhile
    assert db.session.get(Job, job.id).status == RUNNING
    assert state.requeue(job.id) is True
    job = db.session.get(Job, job.id)
    assert (job.status, job.progress, job.started_at) == (QUEUED, 0.0, None)
    assert state.requeue(job.id) is False  # not running
    assert state.fail_if(job.id, QUEUED, "no worker took it") is True
    job = db.session.get(Job, job.id)
    assert (job.status, job.error) == (FAILED, "no worker took it") and not input_stored(job, manifest)
    flagged = new_job(RUNNING, cancel_requested=True)
    assert state.requeue(flagged.id) is False  # a cancelled job is not run again
