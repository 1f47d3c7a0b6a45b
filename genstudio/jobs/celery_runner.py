"""The distributed runner: Celery on Redis, selected with JOB_RUNNER=celery (GENSTUDIO_JOB_RUNNER=celery).

Web processes only publish job ids; `genstudio worker` processes consume them and call the same
`execute_job(app, job_id)` as the embedded runner, so status, progress, previews and outputs reach the browser
through the shared database and storage exactly as before.

Routing: one queue per service (`genstudio.<service>`), so `genstudio worker --services pokemon` on a GPU
machine serves diffusion while CPU machines serve the GANs.

Faults (the database says what a job is doing; Redis only says who is doing it):
- A worker holds a *lease* (`genstudio:lease:<job>`, refreshed every JOB_LEASE_SECONDS/3) for each job it runs.
  A job that is "running" in the database while no lease has existed for a whole lease period belongs to a
  worker that died (killed, OOM, machine lost): the reaper puts it back in the queue, or marks it failed with
  the reason once it has been tried JOB_MAX_ATTEMPTS times. It is never left "running".
- A *marker* (`genstudio:queued:<job>`) lives beside each published message. A queued job without its marker
  lost its message (Redis restarted without persistence): the reaper publishes it again. Duplicated messages
  are harmless because `execute_job` claims a job atomically (queued -> running) and skips it otherwise.
- A queued job no worker took within JOB_QUEUE_TIMEOUT fails with a reason (e.g. no worker for that service).
- acks_late: a message is acknowledged only after its job ran, so a worker that dies before it claims the job
  leaves the message to Redis, which hands it out again after the visibility timeout.
- Publishing while Redis is down answers 503 with Retry-After (QueueUnavailable), like a full queue.

The reaper runs in every web and worker process; its updates are conditional, so several never collide.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import redis
from celery import Celery
from flask import Flask
from sqlalchemy import func, select

from ..db import QUEUED, RUNNING, Job, utcnow
from ..errors import QueueFull, QueueUnavailable
from ..extensions import db
from . import state
from .base import JobRunner
from .execute import execute_job
from .maintenance import housekeeping

log = logging.getLogger(__name__)

TASK_NAME = "genstudio.run_job"
QUEUE_PREFIX = "genstudio."
LEASE_KEY = "genstudio:lease:{}"
MARKER_KEY = "genstudio:queued:{}"
ATTEMPTS_KEY = "genstudio:attempts:{}"
REAP_KEY = "genstudio:reaping:{}"  # the reaper that handles a job's lapsed lease; every process runs one
WORKER_KEY = "genstudio:worker:{}"
CLEANUP_KEY = "genstudio:cleanup"
DAY = 24 * 3600

WORKER_LOST_MESSAGE = ("The worker running this job stopped (killed or crashed) {n} time(s); "
                       "the job was given up. Try again.")
QUEUE_TIMEOUT_MESSAGE = ("No worker took this job within {minutes:g} minutes; is a worker for the "
                         "'{service}' service running?")


def queue_name(service: str) -> str:
    return QUEUE_PREFIX + service


def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3, health_check_interval=10)


def make_celery(config: dict[str, Any]) -> Celery:
    """The Celery app: Redis broker, no result backend (the database holds every job's state)."""
    url = config.get("REDIS_URL")
    if not url:
        raise RuntimeError("JOB_RUNNER=celery needs a Redis URL: set GENSTUDIO_REDIS_URL=redis://host:6379/0")
    app = Celery("genstudio", broker=url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        task_default_queue=QUEUE_PREFIX + "default",
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        broker_transport_options={"visibility_timeout": int(config.get("JOB_VISIBILITY_TIMEOUT", 3600)),
                                  "socket_timeout": 5, "socket_connect_timeout": 3},
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2,
                                   "interval_max": 0.5},
    )
    app.task(name=TASK_NAME, bind=True, acks_late=True)(_run_job_task)
    return app


# ---- the worker side ----

_worker_state: dict[str, Any] = {}


def bind_worker(flask_app: Flask, leases: Leases) -> None:
    """Called once by `genstudio worker`: the app whose services this process serves."""
    _worker_state.update(app=flask_app, leases=leases)


def _run_job_task(task, job_id: str) -> str | None:
    flask_app: Flask = _worker_state["app"]
    leases: Leases = _worker_state["leases"]
    with leases.hold(job_id):
        return execute_job(flask_app, job_id)


class Leases:
    """The leases held by this process, refreshed in Redis by its housekeeping thread."""

    def __init__(self, client: redis.Redis, seconds: float, holder: str) -> None:
        self.client = client
        self.seconds = max(1.0, float(seconds))
        self.holder = holder
        self._held: set[str] = set()
        self._lock = threading.Lock()

    @contextmanager
    def hold(self, job_id: str) -> Iterator[None]:
        """Hold the job's lease while it runs; the job's message marker is done with once a worker has it."""
        with self._lock:
            self._held.add(job_id)
        self._set(job_id)
        with suppress(redis.RedisError):
            self.client.delete(MARKER_KEY.format(job_id))
        try:
            yield
        finally:
            with self._lock:
                self._held.discard(job_id)
            with suppress(redis.RedisError):
                self.client.delete(LEASE_KEY.format(job_id))

    def _set(self, job_id: str) -> None:
        try:
            self.client.set(LEASE_KEY.format(job_id), self.holder, px=int(self.seconds * 1000))
        except redis.RedisError as exc:  # Redis restarting: the next refresh sets it again
            log.warning("could not refresh the lease of job %s: %s", job_id, exc)

    def refresh(self) -> None:
        with self._lock:
            held = list(self._held)
        for job_id in held:
            self._set(job_id)


# ---- the reaper: jobs whose worker died, messages Redis lost, jobs nobody takes ----

class Reaper:
    def __init__(self, app: Flask, client: redis.Redis, publish) -> None:
        self.app = app
        self.client = client
        self.publish = publish
        cfg = app.config
        self.lease_seconds = float(cfg["JOB_LEASE_SECONDS"])
        self.max_attempts = max(1, int(cfg["JOB_MAX_ATTEMPTS"]))
        self.queue_timeout = float(cfg["JOB_QUEUE_TIMEOUT"])
        self.marker_grace = float(cfg["JOB_MARKER_GRACE"])
        self._missing_since: dict[str, float] = {}  # running job -> when its lease was first seen missing

    def run_once(self) -> dict[str, int]:
        """One pass. Returns counts of what it did (for tests and logs)."""
        done = {"requeued": 0, "failed": 0, "republished": 0, "expired": 0}
        with self.app.app_context():
            try:
                self._running(done)
                self._queued(done)
            finally:
                db.session.remove()
        return done

    def _running(self, done: dict[str, int]) -> None:
        now = time.monotonic()
        running = db.session.execute(select(Job.id).where(Job.status == RUNNING)).scalars().all()
        if not running:
            self._missing_since.clear()
            return
        with self.client.pipeline(transaction=False) as pipe:
            for job_id in running:
                pipe.exists(LEASE_KEY.format(job_id))
            alive = pipe.execute()
        for job_id in list(self._missing_since):
            if job_id not in running:
                del self._missing_since[job_id]
        for job_id, has_lease in zip(running, alive, strict=True):
            if has_lease:
                self._missing_since.pop(job_id, None)
                continue
            first = self._missing_since.setdefault(job_id, now)
            if now - first >= self.lease_seconds:  # a live worker re-sets its lease every lease/3 seconds
                del self._missing_since[job_id]
                self._worker_lost(job_id, done)

    def _worker_lost(self, job_id: str, done: dict[str, int]) -> None:
        # every web and worker process runs a reaper, and several see the same lapse within a tick: only the
        # one that claims it counts the attempt (else one lost worker counted as two or three, and a job could
        # fail before its retries were used)
        if not self.client.set(REAP_KEY.format(job_id), "1", nx=True, px=int(self.lease_seconds * 1000)):
            return
        attempts = int(self.client.incr(ATTEMPTS_KEY.format(job_id)))
        self.client.expire(ATTEMPTS_KEY.format(job_id), DAY)
        if attempts < self.max_attempts and state.requeue(job_id):
            log.warning("job %s lost its worker; queued again (attempt %d of %d)",
                        job_id, attempts + 1, self.max_attempts)
            job = db.session.get(Job, job_id)
            with suppress(QueueFull):  # if Redis is away, the missing marker makes the next pass retry
                self.publish(job)
            done["requeued"] += 1
            return
        cancelled = db.session.scalar(select(Job.cancel_requested).where(Job.id == job_id))
        message = state.CANCELLED_MESSAGE if cancelled else WORKER_LOST_MESSAGE.format(n=attempts)
        if state.fail_if(job_id, RUNNING, message):  # maintenance drops the preview
            log.warning("job %s lost its worker %d time(s); marked failed", job_id, attempts)
            done["failed"] += 1

    def _queued(self, done: dict[str, int]) -> None:
        rows = db.session.execute(select(Job.id, Job.created_at, Job.service).where(Job.status == QUEUED)).all()
        if not rows:
            return
        now = utcnow()
        with self.client.pipeline(transaction=False) as pipe:
            for row in rows:
                pipe.exists(MARKER_KEY.format(row.id))
            markers = pipe.execute()
        for row, has_marker in zip(rows, markers, strict=True):
            age = (now - row.created_at).total_seconds()
            if self.queue_timeout and age > self.queue_timeout:
                message = QUEUE_TIMEOUT_MESSAGE.format(minutes=self.queue_timeout / 60, service=row.service)
                done["expired"] += state.fail_if(row.id, QUEUED, message)
            elif not has_marker and age > self.marker_grace:
                job = db.session.get(Job, row.id)
                if job is not None and job.status == QUEUED:
                    log.warning("job %s lost its queue message (Redis restarted?); publishing it again", row.id)
                    try:
                        self.publish(job)
                        done["republished"] += 1
                    except QueueFull:
                        return


# ---- the runner used by web processes (and by the worker's own app) ----

class CeleryRunner(JobRunner):
    def __init__(self, app: Flask) -> None:
        super().__init__(app)
        cfg = app.config
        self.celery = make_celery(cfg)
        self.redis = redis_client(cfg["REDIS_URL"])
        self.queue_size = max(1, int(cfg["JOB_QUEUE_SIZE"]))
        self.retry_after = int(cfg["JOB_RETRY_AFTER"])
        self.reaper = Reaper(app, self.redis, self.publish)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.leases: Leases | None = None

    # JobRunner
    def start(self) -> None:
        """Start the housekeeping thread. Unlike the embedded runner, a restarting web process leaves
        jobs alone: workers elsewhere are still running them."""
        if self._thread is not None or not self.app.config["JOB_REAPER"]:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._housekeeping, name="genstudio-reaper", daemon=True)
        self._thread.start()

    def has_room(self) -> bool:
        try:
            self.redis.ping()
        except redis.RedisError as exc:
            raise QueueUnavailable(self.retry_after, str(exc)) from None
        queued = db.session.scalar(select(func.count(Job.id)).where(Job.status == QUEUED)) or 0
        return queued < self.queue_size

    def submit(self, job_id: str) -> None:
        job = db.session.get(Job, job_id)
        if job is None:
            return
        self.publish(job)

    def shutdown(self, wait: bool = True) -> None:
        self._stop.set()
        if self._thread is not None and wait:
            self._thread.join(timeout=10)
        self._thread = None

    # helpers
    def publish(self, job: Job) -> None:
        """Put the job's id on its service's queue, with the marker the reaper looks for."""
        try:
            self.redis.set(MARKER_KEY.format(job.id), "1", ex=DAY)
            self.celery.send_task(TASK_NAME, args=[job.id], queue=queue_name(job.service))
        except Exception as exc:  # redis.RedisError, kombu's OperationalError, socket errors
            log.warning("could not publish job %s: %s", job.id, exc)
            raise QueueUnavailable(self.retry_after, str(exc)) from None

    def attach_leases(self, leases: Leases) -> None:
        self.leases = leases

    def _housekeeping(self) -> None:
        lease = float(self.app.config["JOB_LEASE_SECONDS"])
        interval = float(self.app.config["JOB_REAPER_INTERVAL"])
        tick = max(0.2, min(lease / 3, interval))
        last_reap = 0.0
        while not self._stop.wait(tick):
            try:
                if self.leases is not None:
                    self.leases.refresh()
                    announce_worker(self.redis, self.leases.holder, lease)
                if time.monotonic() - last_reap >= interval:
                    last_reap = time.monotonic()
                    did = self.reaper.run_once()
                    if any(did.values()):
                        log.info("reaper: %s", did)
                    # anonymous visitors' images expire: one process in the cluster does it every 10 minutes
                    if self.redis.set(CLEANUP_KEY, os.getpid(), nx=True, ex=600):
                        housekeeping(self.app)
            except Exception as exc:  # Redis or the database briefly away: try again next tick
                log.warning("housekeeping pass failed: %s", exc)


def announce_worker(client: redis.Redis, holder: str, lease_seconds: float) -> None:
    client.set(WORKER_KEY.format(holder), json.dumps({"pid": os.getpid(), "host": socket.gethostname()}),
               px=int(max(1.0, lease_seconds) * 1000))


def live_workers(client: redis.Redis) -> list[str]:
    """Names of the workers that announced themselves within the last lease period."""
    prefix = WORKER_KEY.format("")
    return sorted(key.decode()[len(prefix):] for key in client.scan_iter(match=prefix + "*"))
