"""Load: many concurrent API clients creating jobs for a while; prints job latency (p50/p95) and throughput.

    .venv/bin/python bench/load.py --target both               # embedded default and a local cluster, side by side
    .venv/bin/python bench/load.py --target cluster --clients 50 --duration 120
    .venv/bin/python bench/load.py --url http://host:8000 --token gs_... [--token ...]   # a running server

Each client is a user with its own API token. It creates a job, follows it to the end (GET ...?wait=2), and
starts the next one; a 503 or 429 is honoured by sleeping Retry-After (capped, so that load stays on). When the
time is up, clients stop creating jobs and every accepted job is followed until it ends.

What it checks (and reports as violations): any 5xx other than 503 with Retry-After, any accepted job that does
not end done or failed-with-a-reason. By default the jobs are the platform tests' tiny toy model
(tests/platform/toy.py) with a short per-step sleep, so the figures measure the platform (HTTP, database,
queue, storage, workers) rather than a model; `--service/--services/--params` choose a real one.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TOY_SERVICES = "tests.cluster.services_toy,tests.cluster.services_toyedit"
DEFAULT_PARAMS = {"steps": 4, "delay": 0.05}


@dataclass
class Outcome:
    codes: collections.Counter = field(default_factory=collections.Counter)
    latencies: list[float] = field(default_factory=list)  # created -> done, seconds
    finished_at: list[float] = field(default_factory=list)
    failed: collections.Counter = field(default_factory=collections.Counter)  # reason -> count
    accepted: int = 0
    unfinished: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    errors: collections.Counter = field(default_factory=collections.Counter)  # client-side exceptions
    lock: threading.Lock = field(default_factory=threading.Lock)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


def retry_after(response: requests.Response, cap: float) -> float:
    try:
        return min(cap, max(0.1, float(response.headers.get("Retry-After", "1"))))
    except ValueError:
        return 1.0


def client_loop(base: str, token: str, service: str, params: dict, deadline: float, drain_until: float,
                out: Outcome, retry_cap: float, poll_wait: float) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    while time.monotonic() < deadline:
        t0 = time.monotonic()
        try:
            response = session.post(f"{base}/api/v1/jobs", json={"service": service, "params": params}, timeout=30)
        except requests.RequestException as exc:
            with out.lock:
                out.errors[type(exc).__name__] += 1
            time.sleep(0.5)
            continue
        code = response.status_code
        with out.lock:
            out.codes[code] += 1
        if code >= 500 and not (code == 503 and "Retry-After" in response.headers):
            with out.lock:
                out.violations.append(f"POST answered {code}: {response.text[:200]}")
        if code in (429, 503):
            time.sleep(retry_after(response, retry_cap))
            continue
        if code not in (200, 202):
            time.sleep(0.5)
            continue
        job = response.json()
        with out.lock:
            out.accepted += 1
        follow(session, base, job, t0, drain_until, out, poll_wait)


def follow(session: requests.Session, base: str, job: dict, t0: float, drain_until: float, out: Outcome,
           poll_wait: float) -> None:
    state = job
    while state.get("status") not in ("done", "failed"):
        if time.monotonic() > drain_until:
            with out.lock:
                out.unfinished.append(f"{job['id']} still {state.get('status')}")
            return
        try:
            response = session.get(f"{base}{job['url']}", params={"wait": poll_wait}, timeout=poll_wait + 30)
        except requests.RequestException as exc:
            with out.lock:
                out.errors[type(exc).__name__] += 1
            time.sleep(0.5)
            continue
        if response.status_code >= 500:
            with out.lock:
                out.codes[response.status_code] += 1
                out.violations.append(f"GET job answered {response.status_code}: {response.text[:200]}")
            time.sleep(0.5)
            continue
        state = response.json()
    elapsed = time.monotonic() - t0
    with out.lock:
        if state["status"] == "done":
            out.latencies.append(elapsed)
            out.finished_at.append(time.monotonic())
        else:
            reason = (state.get("error") or "").strip()
            out.failed[reason or "(no reason)"] += 1
            if not reason:
                out.violations.append(f"job {job['id']} failed without a reason")


def run_load(base: str, tokens: list[str], clients: int, duration: float, service: str = "toy",
             params: dict | None = None, drain: float = 180.0, retry_cap: float = 3.0,
             poll_wait: float = 2.0) -> dict[str, Any]:
    """Drive the server at `base` with `clients` concurrent clients for `duration` seconds; returns the figures."""
    out = Outcome()
    params = dict(DEFAULT_PARAMS if params is None else params)
    start = time.monotonic()
    deadline = start + duration
    drain_until = deadline + drain
    threads = [threading.Thread(target=client_loop, daemon=True,
                                args=(base, tokens[i % len(tokens)], service, params, deadline, drain_until, out,
                                      retry_cap, poll_wait)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(1.0, drain_until - time.monotonic() + 60))
    window = (max(out.finished_at) - start) if out.finished_at else duration
    done = len(out.latencies)
    return {
        "clients": clients, "duration_s": duration, "requests": dict(sorted(out.codes.items())),
        "accepted": out.accepted, "done": done, "failed": dict(out.failed), "unfinished": out.unfinished,
        "client_errors": dict(out.errors), "violations": out.violations,
        "p50_s": percentile(out.latencies, 50), "p95_s": percentile(out.latencies, 95),
        "throughput_jobs_per_s": done / window if window > 0 else 0.0,
    }


# ---- servers to measure ----

def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float, process: subprocess.Popen | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()[-3000:] if log else ''}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def common_env(folder: Path, services: str, weights: str | None, extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "GENSTUDIO_SERVICES": services,
        "GENSTUDIO_INSTANCE": str(folder / "instance"),
        "GENSTUDIO_SECRET_KEY": "bench-" + secrets.token_hex(8),
        # every simulated user comes from 127.0.0.1: per-IP limits would measure the limiter, not the platform
        "GENSTUDIO_JOB_RATE_LIMIT_IP": "1000000 per minute",
        "GENSTUDIO_JOB_RATE_LIMIT_USER": "1000000 per minute",
        "GENSTUDIO_MAX_IMAGES_PER_DAY": "1000000",
        "PYTHONPATH": str(ROOT),
    })
    if weights:
        env["GENSTUDIO_WEIGHTS"] = weights
    env.update(extra)
    return env


def make_tokens(env: dict[str, str], count: int) -> list[str]:
    """Users bench0..N with API tokens, written straight into the server's database."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from genstudio.app import create_app
        from genstudio.db import ApiToken, User
        from genstudio.extensions import db

        app = create_app({"JOB_START": False})
        tokens = []
        with app.app_context():
            for i in range(count):
                user = User(username=f"bench{i}_{secrets.token_hex(2)}")
                user.set_password(secrets.token_urlsafe(16))  # nobody knows it; the token is enough
                db.session.add(user)
                _row, token = ApiToken.issue(user, "bench")
                tokens.append(token)
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        return tokens
    finally:
        os.environ.clear()
        os.environ.update(saved)


class Embedded:
    """`genstudio serve`: one process, SQLite, the embedded thread-pool runner (the zero-setup default)."""

    label = "embedded"

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder, self.env = folder, env
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = folder / "embedded.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self):
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen([str(BIN / "genstudio"), "serve", "--port", str(self.port)], env=self.env,
                                            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_http(self.base + "/healthz", 180, self.process, self.log)
        return self

    def __exit__(self, *exc):
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


class Cluster:
    """scripts/cluster.sh: PostgreSQL, Redis, gunicorn (2 web processes) and 2 `genstudio worker` processes."""

    label = "cluster"

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "CLUSTER_DIR": str(folder / "cluster"), "WEB_PORT": str(self.port)}

    def __enter__(self):
        subprocess.run([str(ROOT / "scripts" / "cluster.sh"), "start"], env=self.env, cwd=ROOT, check=True)
        shared = subprocess.run([str(ROOT / "scripts" / "cluster.sh"), "env"], env=self.env, cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout
        for line in shared.splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            self.env[key] = value
        return self

    def __exit__(self, *exc):
        subprocess.run([str(ROOT / "scripts" / "cluster.sh"), "stop"], env=self.env, cwd=ROOT, check=False)


def measure(kind: str, args, folder: Path, weights: str | None) -> dict[str, Any]:
    extra = {"GENSTUDIO_JOB_WORKERS": str(args.slots), "GENSTUDIO_JOB_QUEUE_SIZE": str(args.queue_size),
             "GENSTUDIO_TORCH_THREADS": "1"}
    env = common_env(folder / kind, args.services, weights, extra)
    (folder / kind).mkdir(parents=True, exist_ok=True)
    server = Embedded(folder / kind, env) if kind == "embedded" else Cluster(folder / kind, env)
    if kind == "cluster":
        server.env.update({"WORKERS": str(args.slots), "GENSTUDIO_JOB_WORKERS": "1"})
    print(f"[{kind}] starting ...", flush=True)
    with server:
        tokens = make_tokens(server.env, args.clients)
        print(f"[{kind}] {args.clients} clients for {args.duration:.0f} s on {server.base}", flush=True)
        result = run_load(server.base, tokens, args.clients, args.duration, args.service, json.loads(args.params),
                          drain=args.drain)
    result["setup"] = (f"genstudio serve, SQLite, {args.slots} threads" if kind == "embedded" else
                       f"2 gunicorn, PG, Redis, {args.slots} workers")
    return result


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, dict | list):
        return json.dumps(value) if value else "none"
    return str(value)


def print_table(results: dict[str, dict[str, Any]]) -> None:
    rows = [("setup", "setup"), ("clients", "clients"), ("duration (s)", "duration_s"),
            ("HTTP answers to POST", "requests"), ("jobs accepted", "accepted"), ("jobs done", "done"),
            ("jobs failed (reason)", "failed"), ("jobs unfinished", "unfinished"), ("p50 job latency (s)", "p50_s"),
            ("p95 job latency (s)", "p95_s"), ("throughput (jobs/s)", "throughput_jobs_per_s"),
            ("client errors", "client_errors"), ("violations", "violations")]
    names = list(results)
    width = max(len(label) for label, _ in rows) + 2
    print()
    print("".ljust(width) + " | ".join(n.ljust(36) for n in names))
    for label, key in rows:
        print(label.ljust(width) + " | ".join(fmt(results[n].get(key)).ljust(36) for n in names))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=["embedded", "cluster", "both"], default="both")
    parser.add_argument("--url", help="measure a running server instead (needs --token)")
    parser.add_argument("--token", action="append", default=[], help="API token(s) for --url")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of job creation")
    parser.add_argument("--drain", type=float, default=300.0, help="seconds allowed for accepted jobs to end")
    parser.add_argument("--slots", type=int, default=2, help="jobs at once: embedded threads / cluster workers")
    parser.add_argument("--queue-size", type=int, default=32)
    parser.add_argument("--service", default="toy")
    parser.add_argument("--services", default=TOY_SERVICES, help="GENSTUDIO_SERVICES for the servers started")
    parser.add_argument("--params", default=json.dumps(DEFAULT_PARAMS))
    parser.add_argument("--json", dest="json_path", help="also write the results here")
    args = parser.parse_args()

    results: dict[str, dict[str, Any]] = {}
    if args.url:
        if not args.token:
            parser.error("--url needs at least one --token")
        results[args.url] = run_load(args.url.rstrip("/"), args.token, args.clients, args.duration, args.service,
                                     json.loads(args.params), drain=args.drain)
    else:
        with tempfile.TemporaryDirectory(prefix="genstudio-load-") as tmp:
            folder = Path(tmp)
            weights = None
            if args.services == TOY_SERVICES:
                sys.path.insert(0, str(ROOT))
                from tests.platform.toy import install_weights

                install_weights(folder / "weights")
                weights = str(folder / "weights")
            kinds = ["embedded", "cluster"] if args.target == "both" else [args.target]
            for kind in kinds:
                results[kind] = measure(kind, args, folder, weights)
    print_table(results)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(results, indent=2))
    bad = any(r["violations"] or r["unfinished"] for r in results.values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
