"""The reaper and the Celery runner's edges, in-process, on a real Redis server and a real PostgreSQL database:
a job whose worker died is queued again or failed with a reason, a lost message is published again, a job no
worker takes fails with a reason, and a Redis outage answers 503 with Retry-After instead of an error."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from genstudio.db import FAILED, QUEUED, RUNNING, Job, utcnow
from genstudio.extensions import db, studio
from genstudio.jobs.celery_runner import ATTEMPTS_KEY, LEASE_KEY, MARKER_KEY, queue_name

from ..conftest import create_user, token_for
from .conftest import RedisServer

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

PARAMS = {"seed": 1, "steps": 1, "count": 1, "delay": 0.0, "palette": "warm", "invert": False, "fail": False}


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis")
    yield server
    server.stop()


@pytest.fixture
def db_url(pg_url):
    return pg_url


@pytest.fixture
def celery_app(make_app, redis_server):
    return make_app(JOB_RUNNER="celery", REDIS_URL=redis_server.url, JOB_REAPER=False, JOB_LEASE_SECONDS=1.0,
                    JOB_MAX_ATTEMPTS=2, JOB_QUEUE_TIMEOUT=600, JOB_MARKER_GRACE=1.0)


def add_job(app, status: str, age: float = 0.0) -> str:
    with app.app_context():
        job = Job(service="toy", model="toy-tiny", params=PARAMS, status=status, session_key="k",
                  created_at=utcnow() - timedelta(seconds=age), started_at=utcnow() if status == RUNNING else None)
        db.session.add(job)
        db.session.commit()
        return job.id


def job_row(app, job_id: str) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def reap_for(app, seconds: float) -> None:
    runner = studio(app).runner
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        runner.reaper.run_once()
        time.sleep(0.2)


def test_running_job_without_a_lease_is_queued_again(celery_app):
    runner = studio(celery_app).runner
    job_id = add_job(celery_app, RUNNING)
    runner.reaper.run_once()
    assert job_row(celery_app, job_id).status == RUNNING  # a missing lease is not trusted at once
    reap_for(celery_app, 1.5)
    job = job_row(celery_app, job_id)
    assert job.status == QUEUED and job.started_at is None and job.progress == 0.0
    assert runner.redis.exists(MARKER_KEY.format(job_id))
    assert runner.redis.llen(queue_name("toy")) == 1  # published again for a worker to take
    assert int(runner.redis.get(ATTEMPTS_KEY.format(job_id))) == 1


def test_reapers_of_several_processes_count_one_lost_worker_once(celery_app):
    """Every web and worker process runs a reaper; all of them see the same lapsed lease: one attempt."""
    from genstudio.jobs.celery_runner import Reaper

    runner = studio(celery_app).runner
    others = [Reaper(celery_app, runner.redis, runner.publish) for _ in range(2)]
    job_id = add_job(celery_app, RUNNING)
    done = {"requeued": 0, "failed": 0, "republished": 0, "expired": 0}
    with celery_app.app_context():  # all three concluded "lapsed" in the same tick, before any of them acted
        for reaper in (runner.reaper, *others):
            reaper._worker_lost(job_id, done)
    assert done["requeued"] == 1
    assert int(runner.redis.get(ATTEMPTS_KEY.format(job_id))) == 1
    assert job_row(celery_app, job_id).status == QUEUED
    assert runner.redis.llen(queue_name("toy")) == 1


def test_job_whose_worker_keeps_dying_fails_with_a_reason(celery_app):
    runner = studio(celery_app).runner
    job_id = add_job(celery_app, RUNNING)
    runner.redis.set(ATTEMPTS_KEY.format(job_id), 1)  # it already lost a worker once
    reap_for(celery_app, 1.5)
    job = job_row(celery_app, job_id)
    assert job.status == FAILED and job.finished_at is not None
    assert "worker running this job stopped" in job.error and "2 time(s)" in job.error


def test_running_job_with_a_live_lease_is_left_alone(celery_app):
    runner = studio(celery_app).runner
    job_id = add_job(celery_app, RUNNING)
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        runner.redis.set(LEASE_KEY.format(job_id), "w1", px=1000)  # what a live worker's heartbeat does
        runner.reaper.run_once()
        time.sleep(0.2)
    assert job_row(celery_app, job_id).status == RUNNING


def test_queued_job_whose_message_was_lost_is_published_again(celery_app):
    runner = studio(celery_app).runner
    fresh = add_job(celery_app, QUEUED)  # just created: its message may still be on the way
    lost = add_job(celery_app, QUEUED, age=30)
    runner.reaper.run_once()
    assert runner.redis.exists(MARKER_KEY.format(lost)) and not runner.redis.exists(MARKER_KEY.format(fresh))
    assert runner.redis.llen(queue_name("toy")) == 1
    assert job_row(celery_app, lost).status == QUEUED


def test_queued_job_nobody_takes_fails_with_a_reason(make_app, redis_server):
    app = make_app(JOB_RUNNER="celery", REDIS_URL=redis_server.url, JOB_REAPER=False, JOB_QUEUE_TIMEOUT=60)
    job_id = add_job(app, QUEUED, age=120)
    studio(app).runner.reaper.run_once()
    job = job_row(app, job_id)
    assert job.status == FAILED
    assert "No worker took this job within 1 minutes" in job.error and "'toy'" in job.error


def test_redis_down_answers_503_with_retry_after_and_creates_nothing(celery_app, redis_server):
    create_user(celery_app, "someone", "correct horse battery")
    api_headers = {"Authorization": f"Bearer {token_for(celery_app, 'someone')}"}
    client = celery_app.test_client()
    ok = client.post("/api/v1/jobs", json={"service": "toy", "params": {"steps": 1}}, headers=api_headers)
    assert ok.status_code == 202
    redis_server.stop()
    response = client.post("/api/v1/jobs", json={"service": "toy", "params": {"steps": 1}}, headers=api_headers)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(celery_app.config["JOB_RETRY_AFTER"])
    assert "unavailable" in response.get_json()["error"]
    with celery_app.app_context():
        assert db.session.scalar(db.select(db.func.count(Job.id))) == 1  # only the first job exists
    # pages and polling still work while Redis is away
    assert client.get(ok.get_json()["url"], headers=api_headers).status_code == 200


def test_worker_command_refuses_unknown_services_and_a_missing_redis_url(tmp_path, toy_weights, monkeypatch):
    from click.testing import CliRunner

    from genstudio.cli import main

    from .conftest import TOY_SERVICES

    for name, value in (("GENSTUDIO_INSTANCE", str(tmp_path)), ("GENSTUDIO_SERVICES", TOY_SERVICES),
                        ("GENSTUDIO_WEIGHTS", str(toy_weights)), ("GENSTUDIO_REDIS_URL", "redis://127.0.0.1:9/0")):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = CliRunner().invoke(main, ["worker", "--services", "toy,nope"])
    assert result.exit_code == 2
    assert "unknown service(s) nope; configured: toy, toyedit" in result.output
    monkeypatch.delenv("GENSTUDIO_REDIS_URL")
    result = CliRunner().invoke(main, ["worker"])
    assert result.exit_code != 0 and "GENSTUDIO_REDIS_URL" in str(result.exception)


def test_cancelled_job_whose_worker_died_ends_cancelled(celery_app):
    job_id = add_job(celery_app, RUNNING)
    with celery_app.app_context():
        db.session.get(Job, job_id).cancel_requested = True
        db.session.commit()
    reap_for(celery_app, 1.5)
    job = job_row(celery_app, job_id)
    assert job.status == FAILED and job.error == "Cancelled."
