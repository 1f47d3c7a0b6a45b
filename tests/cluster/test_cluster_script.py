"""`make run-cluster`'s script from start to stop: its own PostgreSQL and Redis, two gunicorn web processes and
two workers on loopback; a job goes through it; stop leaves nothing running."""

from __future__ import annotations

import os
import subprocess

import pytest
import requests

from bench.load import make_tokens

from .conftest import ROOT, TOY_SERVICES, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]
SCRIPT = str(ROOT / "scripts" / "cluster.sh")


def test_cluster_script_starts_serves_and_stops(tmp_path, toy_weights):
    port = free_port()
    env = {**os.environ, "CLUSTER_DIR": str(tmp_path / "cluster"), "WEB_PORT": str(port),
           "GENSTUDIO_SERVICES": TOY_SERVICES, "GENSTUDIO_WEIGHTS": str(toy_weights), "GENSTUDIO_TORCH_THREADS": "1"}
    started = subprocess.run([SCRIPT, "start"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"http://127.0.0.1:{port}/" in started.stdout
        shared = subprocess.run([SCRIPT, "env"], env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout
        for line in shared.splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            env[key] = value
        assert env["GENSTUDIO_JOB_RUNNER"] == "celery" and env["DATABASE_URL"].startswith("postgresql://")
        token = make_tokens(env, 1)[0]
        headers = {"Authorization": f"Bearer {token}"}
        base = f"http://127.0.0.1:{port}"
        job = requests.post(base + "/api/v1/jobs?wait=10", json={"service": "toy", "params": {"steps": 2}},
                            headers=headers, timeout=60).json()
        while job["status"] not in ("done", "failed"):
            job = requests.get(base + job["url"] + "?wait=5", headers=headers, timeout=30).json()
        assert job["status"] == "done", job
        assert requests.get(base + job["images"][0]["url"], headers=headers, timeout=10).status_code == 200
        pids = [int((tmp_path / "cluster" / "run" / name).read_text()) for name in ("web.pid", "worker-1.pid",
                                                                                  "worker-2.pid")]
    finally:
        stopped = subprocess.run([SCRIPT, "stop"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}"), f"process {pid} is still running"
