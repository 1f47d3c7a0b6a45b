"""Real servers for the distributed tests: Redis (one per cluster, so that a test may restart it), a fresh
database on the PostgreSQL server `make test` starts (GENSTUDIO_TEST_PG_URL), gunicorn web processes and
`genstudio worker` processes serving the toy services (tests/platform/toy.py), all on loopback.

`Cluster` starts and kills those processes; every process it starts gets its own session so that it can be
stopped with its children, and its output goes to a log file shown when a test fails.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest
import requests

from ..conftest import free_port
from ..platform.toy import install_weights, make_services

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TOY_SERVICES = "tests.cluster.services_toy,tests.cluster.services_toyedit"


def admin_pg_url() -> str:
    url = os.environ.get("GENSTUDIO_TEST_PG_URL")
    if not url:
        pytest.skip("GENSTUDIO_TEST_PG_URL is not set (`make test` starts PostgreSQL and Redis and sets it)")
    return url


def create_database(admin: str) -> str:
    import psycopg

    name = "gs_cluster_" + secrets.token_hex(4)
    plain = admin.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{plain.rsplit('/', 1)[0]}/{name}".replace("postgresql://", "postgresql+psycopg://")


def drop_database(admin: str, url: str) -> None:
    import psycopg

    plain = admin.replace("postgresql+psycopg://", "postgresql://")
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


class Process:
    """A started server process (own session, so that stop() reaches its children), logging to a file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.args, self.env, self.log = name, args, env, log
        self.popen: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.popen = subprocess.Popen(self.args, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                          start_new_session=True)

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive:
            with suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)

    def kill(self) -> None:
        """SIGKILL the process and its children, as a crash or an OOM kill would."""
        self.signal(signal.SIGKILL)
        if self.popen is not None:
            self.popen.wait(timeout=30)

    def stop(self, timeout: float = 15) -> None:
        if not self.alive:
            return
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, chars: int = 3000) -> str:
        try:
            return f"--- {self.name} log ---\n" + self.log.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return ""


class RedisServer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: Process | None = None
        self.start()

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.folder)]
        self.process = Process("redis", args, dict(os.environ), self.folder / "redis.log")
        import redis

        client = redis.Redis.from_url(self.url)
        wait_until(lambda: self._ping(client), 20, "redis-server to answer")

    @staticmethod
    def _ping(client) -> bool:
        try:
            return bool(client.ping())
        except Exception:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def restart(self, down_for: float = 0.0) -> None:
        """Stop and start again on the same port; without persistence, queued messages are lost."""
        self.stop()
        time.sleep(down_for)
        self.start()


class Cluster:
    """Web processes (gunicorn) and workers (`genstudio worker`) sharing PostgreSQL, Redis and storage."""

    def __init__(self, folder: Path, db_url: str, weights: Path, **settings: str) -> None:
        self.folder = folder
        self.db_url = db_url
        self.redis = RedisServer(folder / "redis")
        self.instance = folder / "instance"
        self.env = dict(os.environ)
        self.env.update({
            "DATABASE_URL": db_url,
            "GENSTUDIO_REDIS_URL": self.redis.url,
            "GENSTUDIO_JOB_RUNNER": "celery",
            "GENSTUDIO_SERVICES": TOY_SERVICES,
            "GENSTUDIO_WEIGHTS": str(weights),
            "GENSTUDIO_STORAGE_BACKEND": "database",
            "GENSTUDIO_SECRET_KEY": "cluster-" + secrets.token_hex(8),
            "GENSTUDIO_INSTANCE": str(self.instance),
            "GENSTUDIO_RATELIMIT_STORAGE": self.redis.url,
            # tolerant of a loaded 2-core machine: at 4 s, the whole suite beside two nice-10 trainings let a live
            # worker's lease lapse, and its job ran twice
            "GENSTUDIO_JOB_LEASE_SECONDS": "8",
            "GENSTUDIO_JOB_REAPER_INTERVAL": "0.5",
            "GENSTUDIO_MAX_ACTIVE_JOBS": "100",
            "GENSTUDIO_JOB_RATE_LIMIT_IP": "100000 per minute",
            "GENSTUDIO_JOB_RATE_LIMIT_USER": "100000 per minute",
            "GENSTUDIO_TORCH_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        })
        self.env.update(settings)
        self.web: Process | None = None
        self.web_port = free_port()
        self.base = f"http://127.0.0.1:{self.web_port}"
        self.workers: dict[str, Process] = {}
        self.app = self._migrate()

    def _config(self) -> dict:
        from genstudio.config import build_config

        saved = dict(os.environ)
        try:
            os.environ.clear()
            os.environ.update(self.env)
            cfg = build_config({"JOB_START": False, "SERVICES_STRICT": True})
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return cfg

    def _migrate(self):
        """Create the tables (as `genstudio db upgrade` does) and keep an app on the same database to look
        at rows and make users and tokens from the test."""
        from flask_migrate import upgrade

        from genstudio.app import MIGRATIONS, create_app

        app = create_app(self._config())
        with app.app_context():
            upgrade(directory=str(MIGRATIONS))
        return app

    # ---- processes ----
    def start_web(self, workers: int = 2, wait: bool = True) -> Process:
        args = [str(BIN / "gunicorn"), "--workers", str(workers), "--worker-class", "gthread", "--threads", "8",
                "--bind", f"127.0.0.1:{self.web_port}", "--graceful-timeout", "5", "--timeout", "60",
                "--no-control-socket", "genstudio.wsgi:app"]
        self.web = Process("web", args, self.env, self.folder / "web.log")
        if wait:
            wait_until(self._web_ready, 120, f"gunicorn on {self.base}\n{self.web.tail()}", interval=0.3)
        return self.web

    def _web_ready(self) -> bool:
        if self.web is None or not self.web.alive:
            raise AssertionError("the web process exited\n" + (self.web.tail() if self.web else ""))
        try:
            return requests.get(self.base + "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def start_worker(self, name: str, services: str = "", wait: bool = True, **env: str) -> Process:
        args = [str(BIN / "genstudio"), "worker", "--name", name, "--concurrency", "1"]
        if services:
            args += ["--services", services]
        worker = Process(name, args, {**self.env, **env}, self.folder / f"{name}.log")
        self.workers[name] = worker
        if wait:
            self.wait_worker(name)
        return worker

    def wait_worker(self, name: str) -> None:
        from genstudio.jobs.celery_runner import WORKER_KEY

        client = self.redis_client()

        def ready() -> bool:
            if not self.workers[name].alive:
                raise AssertionError(f"worker {name} exited\n{self.workers[name].tail()}")
            try:
                return bool(client.exists(WORKER_KEY.format(name)))
            except Exception:
                return False
        wait_until(ready, 120, f"worker {name} to be ready\n{self.workers[name].tail()}", interval=0.3)

    def redis_client(self):
        import redis

        return redis.Redis.from_url(self.redis.url, socket_timeout=3)

    def logs(self) -> str:
        parts = [p.tail() for p in [self.web, *self.workers.values()] if p is not None]
        return "\n".join(parts)

    def stop(self) -> None:
        for worker in self.workers.values():
            worker.kill()
        if self.web is not None:
            self.web.kill()
        self.redis.stop()
        from genstudio.extensions import db, studio

        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
            storage = studio(self.app).storage
            if hasattr(storage, "engine"):
                storage.engine.dispose()

    # ---- API helpers ----
    def api_session(self, username: str | None = None) -> requests.Session:
        """A requests session for a new user, authenticated with a bearer token."""
        from ..conftest import create_user, token_for

        username = username or "u" + secrets.token_hex(4)
        create_user(self.app, username, "correct horse battery")
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token_for(self.app, username)}"
        return session

    def post_job(self, session: requests.Session, params: dict, service: str = "toy", **kw) -> requests.Response:
        body = {"service": service, "params": params}
        return session.post(self.base + "/api/v1/jobs", json=body, timeout=30, **kw)

    def job(self, session: requests.Session, job: dict) -> dict:
        return session.get(self.base + job["url"], timeout=30).json()

    def wait_job(self, session: requests.Session, job: dict, timeout: float = 90) -> dict:
        state: dict = {}

        def finished():
            nonlocal state
            try:
                state = self.job(session, job)
            except requests.RequestException:
                return False
            return state if state.get("status") in ("done", "failed") else False
        try:
            return wait_until(finished, timeout, f"job {job['id']} to finish (last state {state})", interval=0.2)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.logs()}") from None

    def db_job(self, job_id: str):
        from genstudio.db import Job
        from genstudio.extensions import db

        with self.app.app_context():
            db.session.expire_all()
            row = db.session.get(Job, job_id)
            db.session.expunge_all()
            return row


@pytest.fixture(scope="session")
def toy_weights(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cluster-weights")
    install_weights(root)
    return root


@pytest.fixture(scope="module")
def cluster_db() -> Iterator[str]:
    admin = admin_pg_url()
    url = create_database(admin)
    yield url
    drop_database(admin, url)


@pytest.fixture(scope="module")
def cluster_weights_env(toy_weights) -> Iterator[Path]:
    """The test process's own app looks for the toy weights too."""
    saved = os.environ.get("GENSTUDIO_WEIGHTS")
    os.environ["GENSTUDIO_WEIGHTS"] = str(toy_weights)
    yield toy_weights
    if saved is None:
        os.environ.pop("GENSTUDIO_WEIGHTS", None)
    else:
        os.environ["GENSTUDIO_WEIGHTS"] = saved


# ---- the platform fixtures (app, client, user, api_headers) on the toy services, for fuzz and security tests ----

@pytest.fixture
def weights_root(toy_weights) -> Path:
    return toy_weights


@pytest.fixture
def services() -> tuple:
    return make_services()
