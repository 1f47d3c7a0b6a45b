"""The job interface: what a runner must do, and whom a job belongs to.

A runner only moves job ids from "queued" to a worker that calls `execute_job(app, job_id)`; all state
(status, progress, preview, cancellation, outputs) is in the database and storage, so the embedded thread
pool and a distributed queue behave the same to the web layer.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass

from flask import Flask


@dataclass(frozen=True)
class Owner:
    """Who a job belongs to: a user, or an anonymous browser session; and from which network address (a keyed
    hash, for the per-address limits on anonymous work)."""

    user_id: int | None = None
    session_key: str | None = None
    client: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.user_id is None


class JobRunner(ABC):
    """Runs queued jobs. Implementations: EmbeddedRunner (threads in this process); later a queue-backed one."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    @abstractmethod
    def start(self) -> None:
        """Start workers and deal with jobs a previous process left queued or running."""

    @abstractmethod
    def submit(self, job_id: str) -> None:
        """Hand a committed, queued job to a worker. Raise QueueFull if there is no room."""

    @abstractmethod
    def shutdown(self, wait: bool = True) -> None: ...

    def has_room(self) -> bool:
        """Whether a new job would be accepted (checked before the Job row is created)."""
        return True

    def wait(self, job_id: str, timeout: float) -> None:
        """Block until the job has finished or timeout seconds have passed (polls the database)."""
        from ..db import Job
        from ..extensions import db

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            db.session.expire_all()
            job = db.session.get(Job, job_id)
            if job is None or job.finished:
                return
            time.sleep(0.05)
