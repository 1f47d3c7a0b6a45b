"""The default runner: a small pool of worker threads inside the web process.

Bounded concurrency (JOB_WORKERS threads) and a bounded queue (JOB_QUEUE_SIZE): when it is full, job
creation is refused with 503 + Retry-After instead of piling up. On start, jobs that a previous process
left running are marked failed, and queued ones are failed or re-queued (JOB_REQUEUE_INTERRUPTED).
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from flask import Flask
from sqlalchemy import func, select

from ..db import QUEUED, RUNNING, Job
from ..errors import QueueFull
from ..extensions import db
from . import state
from .base import JobRunner
from .execute import execute_job
from .maintenance import housekeeping

log = logging.getLogger(__name__)

INTERRUPTED_MESSAGE = "Interrupted: the server restarted while this job was {}."
_STOP = object()


class EmbeddedRunner(JobRunner):
    def __init__(self, app: Flask) -> None:
        super().__init__(app)
        self.workers = max(1, int(app.config["JOB_WORKERS"]))
        self.queue_size = max(1, int(app.config["JOB_QUEUE_SIZE"]))
        self._queue: queue.Queue = queue.Queue(maxsize=self.queue_size)
        self._threads: list[threading.Thread] = []
        self._started = False
        self._lock = threading.Lock()
        self._last_cleanup = 0.0

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        with self.app.app_context():
            self._recover()
            housekeeping(self.app)
            self._last_cleanup = time.monotonic()
            db.session.remove()
        for i in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"genstudio-worker-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _recover(self) -> None:
        """Jobs in the database that no worker holds any more: fail or re-queue them."""
        for job in db.session.scalars(select(Job).where(Job.status == RUNNING)):
            state.fail(job, INTERRUPTED_MESSAGE.format("running"))
        queued = list(db.session.scalars(select(Job).where(Job.status == QUEUED).order_by(Job.created_at)))
        for job in queued:
            if self.app.config["JOB_REQUEUE_INTERRUPTED"] and not job.cancel_requested:
                try:
                    self._queue.put_nowait(job.id)
                    continue
                except queue.Full:
                    pass
            state.fail(job, INTERRUPTED_MESSAGE.format("queued"))

    def has_room(self) -> bool:
        queued = db.session.scalar(select(func.count(Job.id)).where(Job.status == QUEUED)) or 0
        return queued < self.queue_size and not self._queue.full()

    def submit(self, job_id: str) -> None:
        if not self._started:
            self.start()
        try:
            self._queue.put_nowait(job_id)
        except queue.Full:
            raise QueueFull(int(self.app.config["JOB_RETRY_AFTER"])) from None

    def _work(self) -> None:
        threads = self.app.config.get("TORCH_THREADS")
        if threads:  # on a small shared CPU, fewer intra-op threads are often much faster
            import torch

            torch.set_num_threads(int(threads))
        while True:
            job_id = self._queue.get()
            try:
                if job_id is _STOP:
                    return
                execute_job(self.app, job_id)
                self._maybe_cleanup()
            except Exception:  # never let one job kill the worker
                log.exception("worker error on job %s", job_id)
            finally:
                self._queue.task_done()

    def _maybe_cleanup(self) -> None:
        if time.monotonic() - self._last_cleanup > 600:
            self._last_cleanup = time.monotonic()
            housekeeping(self.app)

    def shutdown(self, wait: bool = True) -> None:
        """Stop the workers after their current job. Jobs still waiting stay queued in the database
        (the next start fails or re-queues them)."""
        if not self._started:
            return
        while True:
            try:
                self._queue.get_nowait()
                self._queue.task_done()
            except queue.Empty:
                break
        for _ in self._threads:
            self._queue.put(_STOP)
        if wait:
            for thread in self._threads:
                thread.join(timeout=30)
        self._threads.clear()
        self._started = False
