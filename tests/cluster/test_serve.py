"""`genstudio serve` (what `make run` runs) is a production server (issue 15): waitress with a fixed thread pool
and request timeouts. A client that announces more body than it sends holds no thread and is dropped after
GENSTUDIO_REQUEST_TIMEOUT; meanwhile the site answers, and the embedded job runner runs jobs."""

from __future__ import annotations

import os
import secrets
import socket

import pytest
import requests

from .conftest import BIN, ROOT, TOY_SERVICES, Process, free_port, wait_until
from .test_embedded_restart import make_token

pytestmark = pytest.mark.slow


def stalled_upload(port: int) -> socket.socket:
    """A POST that announces 100 KB of body, sends 10 bytes and then nothing."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(b"POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100000\r\n\r\n{\"service\"")
    return sock


def test_serve_is_waitress_with_request_timeouts(tmp_path, toy_weights):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "GENSTUDIO_INSTANCE": str(tmp_path / "instance"), "GENSTUDIO_SERVICES": TOY_SERVICES,
           "GENSTUDIO_WEIGHTS": str(toy_weights), "GENSTUDIO_SECRET_KEY": secrets.token_hex(8),
           "GENSTUDIO_TORCH_THREADS": "1", "PYTHONPATH": str(ROOT), "GENSTUDIO_SERVER_THREADS": "2",
           "GENSTUDIO_REQUEST_TIMEOUT": "3"}
    env.pop("DATABASE_URL", None)
    env.pop("GENSTUDIO_JOB_RUNNER", None)
    log = tmp_path / "serve.log"
    server = Process("serve", [str(BIN / "genstudio"), "serve", "--port", str(port)], env, log)

    def up() -> bool:
        try:
            return requests.get(base + "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_until(up, 120, f"genstudio serve\n{server.tail()}", interval=0.3)
        health = requests.get(base + "/healthz", timeout=5)
        assert health.headers["Server"] == "GenStudio"  # waitress's ident; werkzeug says "Werkzeug/…"
        stalled = [stalled_upload(port) for _ in range(4)]  # twice the request threads
        for _ in range(5):  # the site still answers: stalled bodies are buffered, not handed to threads
            assert requests.get(base + "/healthz", timeout=5).status_code == 200
        token = make_token(env)
        job = requests.post(base + "/api/v1/jobs?wait=10", json={"service": "toy", "params": {"steps": 1}},
                            headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
        assert job["status"] == "done", job  # the embedded runner runs jobs under waitress
        for sock in stalled:  # each stalled connection is closed after the request timeout
            assert closed_by_server(sock)
        text = log.read_text(errors="replace")
        assert "development server" not in text and "WARNING: This is a development server" not in text
        assert text.count("Interrupted") == 0
    finally:
        server.stop()


def closed_by_server(sock: socket.socket) -> bool:
    """True once the server closes the connection (within 30 s; werkzeug's server would wait forever)."""
    sock.settimeout(30)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    finally:
        sock.close()
