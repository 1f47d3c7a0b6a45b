"""Generation jobs: the runner interface, the one function that executes a job, and job creation.

- base.JobRunner: start / submit / shutdown / has_room / wait. EmbeddedRunner (threads in the web process)
  is the default; a distributed runner implements the same methods and calls the same execute_job().
- execute.execute_job(app, job_id): the whole life of a job, shared by every runner.
- submit.create_job(...): validation, uploads, limits and queue room before a job exists.
- state: every change of a job's state (claim, progress, finish, fail, cancel, re-queue).
- inputs: a job's stored inputs (uploads), deleted as soon as nothing needs them.
"""

from __future__ import annotations

from flask import Flask

from .base import JobRunner, Owner
from .execute import execute_job
from .state import cancel
from .submit import create_job, get_service, make_again

__all__ = ["JobRunner", "Owner", "cancel", "create_job", "execute_job", "get_service", "make_again", "make_runner"]


def make_runner(app: Flask) -> JobRunner:
    """The runner named by JOB_RUNNER ("embedded", or "module:Class" for another implementation)."""
    name = app.config["JOB_RUNNER"]
    name = {"celery": "genstudio.jobs.celery_runner:CeleryRunner"}.get(name, name)  # Redis + `genstudio worker`
    if name == "embedded":
        from .embedded import EmbeddedRunner

        return EmbeddedRunner(app)
    import importlib

    module, _, cls = name.partition(":")
    return getattr(importlib.import_module(module), cls)(app)
