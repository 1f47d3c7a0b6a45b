"""The job-creation rate limits: one budget for every route that creates a job (the API, the pages' routes,
"make again"), counted per user (or session) and per address across all of them, so that switching routes
does not reset a client's count."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app

from ..extensions import limiter

JOBS_SCOPE_USER, JOBS_SCOPE_IP = "jobs-user", "jobs-ip"


def job_user_limit() -> str:
    return current_app.config["JOB_RATE_LIMIT_USER"]


def job_ip_limit() -> str:
    return current_app.config["JOB_RATE_LIMIT_IP"]


def creates_jobs(user_key: Callable[[], str]) -> Callable[[Callable], Callable]:
    """Decorate a view that creates a job: both budgets apply, the user's counted under user_key()."""
    def decorate(view: Callable) -> Callable:
        view = limiter.shared_limit(job_ip_limit, scope=JOBS_SCOPE_IP)(view)
        return limiter.shared_limit(job_user_limit, scope=JOBS_SCOPE_USER, key_func=user_key)(view)
    return decorate
