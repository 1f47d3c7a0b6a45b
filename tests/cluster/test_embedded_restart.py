"""The zero-setup default under a fault: `genstudio serve` (one process, SQLite, worker threads) killed mid-job
and started again. Its jobs die with it, so they must end failed with the reason, never stay "running"."""

from __future__ import annotations

import os
import secrets

import pytest
import requests

from .conftest import BIN, ROOT, TOY_SERVICES, Process, free_port, wait_until

pytestmark = pytest.mark.slow


def test_killed_embedded_server_fails_its_jobs_with_a_reason_on_restart(tmp_path, toy_weights):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "GENSTUDIO_INSTANCE": str(tmp_path / "instance"), "GENSTUDIO_SERVICES": TOY_SERVICES,
           "GENSTUDIO_WEIGHTS": str(toy_weights), "GENSTUDIO_SECRET_KEY": secrets.token_hex(8),
           "GENSTUDIO_TORCH_THREADS": "1", "PYTHONPATH": str(ROOT), "GENSTUDIO_MAX_ACTIVE_JOBS": "5"}
    env.pop("DATABASE_URL", None)
    env.pop("GENSTUDIO_JOB_RUNNER", None)
    args = [str(BIN / "genstudio"), "serve", "--port", str(port)]

    def up() -> bool:
        try:
            return requests.get(base + "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    server = Process("serve", args, env, tmp_path / "serve.log")
    try:
        wait_until(up, 120, f"genstudio serve\n{server.tail()}", interval=0.3)
        token = make_token(env)
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        slow = {"service": "toy", "params": {"steps": 50, "delay": 0.2}}
        running = session.post(base + "/api/v1/jobs", json=slow, timeout=30).json()
        assert "url" in running, running
        queued = session.post(base + "/api/v1/jobs", json=slow, timeout=30).json()
        wait_until(lambda: session.get(base + running["url"], timeout=10).json()["progress"] > 0, 60, "the job to run")
        server.kill()
        server.start()
        wait_until(up, 120, f"genstudio serve (restarted)\n{server.tail()}", interval=0.3)
        for job, was in ((running, "running"), (queued, "queued")):
            state = session.get(base + job["url"], timeout=10).json()
            assert state["status"] == "failed", state
            assert state["error"] == f"Interrupted: the server restarted while this job was {was}."
        again = session.post(base + "/api/v1/jobs?wait=10", json={"service": "toy", "params": {"steps": 1}},
                             timeout=60).json()
        assert again["status"] == "done", again
    finally:
        server.stop()


def make_token(env: dict[str, str]) -> str:
    """A user and token written into the server's SQLite database by this process."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from genstudio.app import create_app
        from genstudio.db import ApiToken, User
        from genstudio.extensions import db

        app = create_app({"JOB_START": False})
        with app.app_context():
            user = User(username="restart")
            user.set_password("correct horse battery")
            db.session.add(user)
            _row, token = ApiToken.issue(user, "t")
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        return token
    finally:
        os.environ.clear()
        os.environ.update(saved)
