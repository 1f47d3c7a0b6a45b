"""Load: concurrent makeup uploads against `genstudio serve` on loopback; must answer no 5xx at all.

    .venv/bin/python bench/makeup_load.py                          # 6 clients x 4 rounds, the shipped model
    .venv/bin/python bench/makeup_load.py --clients 12 --rounds 8 --weights /path/to/weights

Each client is a browser and an API user at once. Every round it takes the next photo of a set of different
sizes (scikit-image's astronaut, scaled from 0.45x to 6x, so that big uploads are in flight together), asks
`POST /makeup/faces` about it (session cookie + CSRF token, as the page does) and then makes a makeup job of it
through `POST /api/v1/jobs`, followed to the end with `?wait=`. It prints the answers by status, the jobs' ends,
the server's peak memory (VmHWM) and exits 1 on any 5xx or any job that did not end done.

This is the load that crashed the server with a shared face-detection cascade and blew its memory up with
decodes of every upload (issue 15); tests/makeup/test_load.py runs it small on every `make test`.
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import re
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.load import Embedded, common_env, make_tokens  # noqa: E402

SCALES = (0.45, 0.8, 1.0, 1.6, 2.4, 4.0, 6.0)  # 230 px to 3072 px photos


def photos() -> list[bytes]:
    """JPEG photos of one face at different sizes."""
    import cv2
    from PIL import Image
    from skimage import data

    astronaut = data.astronaut()
    out = []
    for scale in SCALES:
        how = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        buf = io.BytesIO()
        Image.fromarray(cv2.resize(astronaut, None, fx=scale, fy=scale, interpolation=how)).save(
            buf, format="JPEG", quality=90)
        out.append(buf.getvalue())
    return out


@dataclass
class Tally:
    answers: collections.Counter = field(default_factory=collections.Counter)  # "POST /makeup/faces 200" -> n
    jobs: collections.Counter = field(default_factory=collections.Counter)  # done / failed: reason
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, what: str, response: requests.Response) -> None:
        with self.lock:
            self.answers[f"{what} {response.status_code}"] += 1
            if response.status_code >= 500:
                self.problems.append(f"{what} answered {response.status_code}: {response.text[:200]}")


def client(base: str, token: str, files: list[bytes], rounds: int, offset: int, tally: Tally) -> None:
    browser = requests.Session()
    page = browser.get(f"{base}/makeup/", timeout=60)
    tally.note("GET /makeup/", page)
    match = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    csrf = match.group(1) if match else ""
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    for i in range(rounds):
        photo = files[(offset + i) % len(files)]
        faces = browser.post(f"{base}/makeup/faces", files={"image": ("me.jpg", photo, "image/jpeg")},
                             headers={"X-CSRFToken": csrf}, timeout=120)
        tally.note("POST /makeup/faces", faces)
        job = api.post(f"{base}/api/v1/jobs", timeout=120, files={"image": ("me.jpg", photo, "image/jpeg")},
                       data={"service": "makeup", "params": json.dumps({"hair": "blond", "makeup": "add"})})
        tally.note("POST /api/v1/jobs", job)
        if job.status_code not in (200, 202):
            continue
        state = job.json()
        for _ in range(120):
            if state["status"] in ("done", "failed"):
                break
            answer = api.get(f"{base}{state['url']}", params={"wait": 5}, timeout=60)
            tally.note("GET job", answer)
            if answer.status_code != 200:
                break
            state = answer.json()
        with tally.lock:
            tally.jobs[state["status"] if state["status"] != "failed" else f"failed: {state['error']}"] += 1


def peak_memory_mb(pid: int) -> float | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"VmHWM:\s+(\d+) kB", text)
    return int(match.group(1)) / 1024 if match else None


def run(base: str, tokens: list[str], clients: int, rounds: int) -> Tally:
    """`clients` concurrent clients, `rounds` photos each (face check + job); the tally of what came back."""
    files = photos()
    tally = Tally()
    threads = [threading.Thread(target=client, args=(base, tokens[i % len(tokens)], files, rounds, i, tally))
               for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally


def serve_and_run(clients: int, rounds: int, weights: str | None, folder: Path) -> tuple[Tally, dict[str, Any]]:
    """Start `genstudio serve` with the makeup service on loopback, run the load, stop it."""
    env = common_env(folder, "genstudio.services.makeup", weights, {
        "GENSTUDIO_JOB_WORKERS": "2", "GENSTUDIO_JOB_QUEUE_SIZE": str(max(32, 2 * clients)),
        "GENSTUDIO_TORCH_THREADS": "1", "GENSTUDIO_MAX_ACTIVE_JOBS": "4"})
    with Embedded(folder, env) as server:
        tokens = make_tokens(server.env, clients)
        tally = run(server.base, tokens, clients, rounds)
        info = {"peak_memory_mb": peak_memory_mb(server.process.pid), "log": server.log}
    return tally, info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--weights", help="GENSTUDIO_WEIGHTS for the server (default: the repo's weights/)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="genstudio-makeup-load-") as tmp:
        tally, info = serve_and_run(args.clients, args.rounds, args.weights, Path(tmp))
    print(f"{args.clients} clients x {args.rounds} photos ({', '.join(f'{s}x' for s in SCALES)} of a 512 px photo)")
    for what, count in sorted(tally.answers.items()):
        print(f"  {what}: {count}")
    print(f"  jobs: {dict(tally.jobs)}")
    print(f"  server peak memory: {info['peak_memory_mb']:.0f} MB" if info["peak_memory_mb"] else "")
    for problem in tally.problems:
        print("  PROBLEM:", problem)
    ok = not tally.problems and set(tally.jobs) <= {"done"}
    print("OK: no 5xx, every job done" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
