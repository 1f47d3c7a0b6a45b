"""One Config object. Environment variables are read here and nowhere else.

Every key can be overridden by the mapping given to create_app(config); tests use that to get a temp
instance folder, a chosen database and only the services they need.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from .services import SERVICE_MODULES
from .uploads import MAX_UPLOAD_PIXELS

MB = 1024 * 1024


def default_instance() -> Path:
    return Path(os.environ.get("GENSTUDIO_INSTANCE") or "instance").resolve()


def normalise_db_url(url: str) -> str:
    """Accept the usual postgres:// spellings and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def secret_key(instance: Path) -> str:
    """The session signing key: generated once into the instance folder, never in the repo."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def build_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults <- environment <- overrides. Paths are resolved against the instance folder."""
    overrides = dict(overrides or {})
    instance = Path(overrides.pop("INSTANCE_PATH", None) or default_instance()).resolve()
    env = os.environ
    cfg: dict[str, Any] = {
        "INSTANCE_PATH": instance,
        "SQLALCHEMY_DATABASE_URI": normalise_db_url(
            env.get("DATABASE_URL") or f"sqlite:///{instance / 'genstudio.db'}"
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "STORAGE_PATH": env.get("GENSTUDIO_STORAGE") or str(instance / "storage"),
        "SERVICES": tuple(s for s in (env.get("GENSTUDIO_SERVICES") or "").split(",") if s) or SERVICE_MODULES,
        # jobs
        "JOB_RUNNER": env.get("GENSTUDIO_JOB_RUNNER", "embedded"),
        "JOB_WORKERS": int(env.get("GENSTUDIO_JOB_WORKERS", "1")),
        "JOB_QUEUE_SIZE": int(env.get("GENSTUDIO_JOB_QUEUE_SIZE", "32")),
        "TORCH_THREADS": int(env.get("GENSTUDIO_TORCH_THREADS", "0")) or None,  # None: torch's default
        "JOB_START": True,  # start the runner (and recover interrupted jobs) inside create_app
        "JOB_WAIT_MAX": 10.0,  # longest ?wait= a request may block, in seconds
        "JOB_RETRY_AFTER": 10,  # seconds, sent with 503 when the queue is full
        "JOB_REQUEUE_INTERRUPTED": False,  # on restart: fail (default) or re-queue jobs that were queued
        # distributed jobs and shared storage (genstudio/jobs/celery_runner.py, genstudio/storage_backends.py)
        "REDIS_URL": env.get("GENSTUDIO_REDIS_URL", ""),  # the Celery broker for JOB_RUNNER=celery
        "JOB_LEASE_SECONDS": float(env.get("GENSTUDIO_JOB_LEASE_SECONDS", "30")),  # silent this long = worker lost
        "JOB_MAX_ATTEMPTS": int(env.get("GENSTUDIO_JOB_MAX_ATTEMPTS", "2")),  # runs of a job whose worker died
        "JOB_QUEUE_TIMEOUT": float(env.get("GENSTUDIO_JOB_QUEUE_TIMEOUT", "3600")),  # s queued before failing
        "JOB_REAPER": True, "JOB_REAPER_INTERVAL": float(env.get("GENSTUDIO_JOB_REAPER_INTERVAL", "5")),
        "JOB_MARKER_GRACE": 5.0, "JOB_VISIBILITY_TIMEOUT": 3600,
        "STORAGE_BACKEND": env.get("GENSTUDIO_STORAGE_BACKEND", "local"),  # local | database | module:Class
        "STORAGE_QUOTA_MB": float(env.get("GENSTUDIO_STORAGE_QUOTA_MB", "0")),  # 0 = no quota
        "MAX_ACTIVE_JOBS_PER_USER": int(env.get("GENSTUDIO_MAX_ACTIVE_JOBS", "2")),
        "MAX_IMAGES_PER_DAY": int(env.get("GENSTUDIO_MAX_IMAGES_PER_DAY", "500")),
        "ANON_MAX_IMAGES_PER_DAY": int(env.get("GENSTUDIO_ANON_MAX_IMAGES_PER_DAY", "100")),
        "ANON_IMAGE_TTL_HOURS": 24.0,
        # anonymous work counts per client address too (fresh cookies are free), within a share of the queue
        "ANON_MAX_ACTIVE_JOBS_PER_ADDRESS": int(env.get("GENSTUDIO_ANON_MAX_ACTIVE_JOBS", "4")),
        "ANON_QUEUE_SHARE": float(env.get("GENSTUDIO_ANON_QUEUE_SHARE", "0.5")),
        "JOB_RATE_LIMIT_USER": env.get("GENSTUDIO_JOB_RATE_LIMIT_USER", "30 per minute"),
        "JOB_RATE_LIMIT_IP": env.get("GENSTUDIO_JOB_RATE_LIMIT_IP", "60 per minute"),
        "LOGIN_RATE_LIMIT_IP": env.get("GENSTUDIO_LOGIN_RATE_LIMIT_IP", "30 per hour"),
        "LOGIN_RATE_LIMIT_ACCOUNT": env.get("GENSTUDIO_LOGIN_RATE_LIMIT_ACCOUNT", "10 per hour"),  # failed logins
        "RATELIMIT_STORAGE_URI": env.get("GENSTUDIO_RATELIMIT_STORAGE", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": False,  # our own Retry-After (429 and 503) is set by the error handler
        "RATELIMIT_SWALLOW_ERRORS": True, "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,  # if Redis is away
        # uploads
        "MAX_CONTENT_LENGTH": int(env.get("GENSTUDIO_MAX_UPLOAD_MB", "10")) * MB,
        "MAX_UPLOAD_PIXELS": int(env.get("GENSTUDIO_MAX_UPLOAD_PIXELS", MAX_UPLOAD_PIXELS)),
        # web
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("GENSTUDIO_SECURE_COOKIES", "") == "1",
        "REMEMBER_COOKIE_SECURE": env.get("GENSTUDIO_SECURE_COOKIES", "") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # tokens live as long as the session
        "BOOTSTRAP_SERVE_LOCAL": True,  # the site works with no internet
        "BABEL_DEFAULT_LOCALE": "en",
        "LANGUAGES": {"en": "English", "ko": "한국어"},
        "GALLERY_PAGE_SIZE": 24,
        # `genstudio serve` (waitress): request threads, and seconds before an idle or stalled connection is closed
        "SERVER_THREADS": int(env.get("GENSTUDIO_SERVER_THREADS", "8")),
        "REQUEST_TIMEOUT": float(env.get("GENSTUDIO_REQUEST_TIMEOUT", "60")),
        "PORT": int(env.get("PORT", "5000")),
        "HOST": env.get("HOST", "127.0.0.1"),
    }
    cfg.update(overrides)
    # the session cookie (an anonymous visitor's images, see web.identity.anon_key) lasts as long as the images
    # are kept, and at least the day the pages promise
    cfg.setdefault("PERMANENT_SESSION_LIFETIME", timedelta(hours=max(float(cfg["ANON_IMAGE_TTL_HOURS"]), 24.0)))
    cfg["SQLALCHEMY_DATABASE_URI"] = normalise_db_url(cfg["SQLALCHEMY_DATABASE_URI"])
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # worker threads and request threads share one file: wait for locks instead of failing
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30, "check_same_thread": False}}
    if "SECRET_KEY" not in cfg:
        cfg["SECRET_KEY"] = env.get("GENSTUDIO_SECRET_KEY") or secret_key(instance)
    return cfg
