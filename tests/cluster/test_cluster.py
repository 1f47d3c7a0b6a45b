"""The distributed setup with real servers: gunicorn (2 web processes), 2 `genstudio worker` processes, Redis and
PostgreSQL (images in PostgreSQL too), and the faults it must survive: a worker killed mid-job, Redis restarted,
the web process restarted during a job; plus a short load run. The tests share one cluster and run in order.
"""

from __future__ import annotations

import io
import re
import time

import pytest
import requests
from PIL import Image

from bench.load import run_load
from genstudio.jobs.celery_runner import ATTEMPTS_KEY, LEASE_KEY, queue_name
from genstudio.recipes import read_recipe

from .conftest import Cluster, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

SLOW = {"steps": 30, "delay": 0.1}  # about 3 s of "model time" with progress and a preview at every step


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, cluster_db, cluster_weights_env):
    c = Cluster(tmp_path_factory.mktemp("cluster"), cluster_db, cluster_weights_env,
                GENSTUDIO_JOB_QUEUE_SIZE="4", GENSTUDIO_JOB_RETRY_AFTER="1")
    try:
        c.start_worker("w-toy", services="toy", wait=False)
        c.start_worker("w-all", wait=False)
        c.start_web()
        c.wait_worker("w-toy")
        c.wait_worker("w-all")
        yield c
    finally:
        c.stop()


def png(size=(48, 40), color=(10, 200, 90)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def wait_running(cluster: Cluster, session, job: dict, min_progress: float = 0.05) -> dict:
    def running():
        state = cluster.job(session, job)
        return state if state["status"] == "running" and state["progress"] >= min_progress else False
    return wait_until(running, 60, f"job {job['id']} to run\n{cluster.logs()}", interval=0.05)


def test_a_worker_runs_the_job_and_progress_and_previews_reach_the_client(cluster):
    session = cluster.api_session()
    response = cluster.post_job(session, {**SLOW, "seed": 5})
    assert response.status_code == 202, response.text
    job = response.json()
    progress, previews = set(), 0
    state = job
    deadline = time.monotonic() + 90
    while state["status"] not in ("done", "failed") and time.monotonic() < deadline:
        state = cluster.job(session, job)
        progress.add(round(state["progress"], 1))
        if state["preview_url"]:
            preview = session.get(cluster.base + state["preview_url"], timeout=10)
            if preview.status_code == 200:  # the job may finish between the two requests
                assert preview.headers["Content-Type"] == "image/png"
                previews += 1
        time.sleep(0.05)
    assert state["status"] == "done", (state, cluster.logs())
    assert len(progress - {0.0, 1.0}) >= 2, progress
    assert previews >= 1
    image = session.get(cluster.base + state["images"][0]["url"], timeout=10)
    assert image.status_code == 200 and read_recipe(image.content)["params"]["seed"] == 5
    # the bytes live in PostgreSQL, where every web process and worker finds them
    from genstudio.extensions import studio

    storage = studio(cluster.app).storage
    keys = storage.keys("images/")
    assert any(state["images"][0]["id"] in k for k in keys), keys


@pytest.mark.browser
def test_the_browser_sees_progress_preview_and_result_as_with_the_embedded_runner(cluster, browser):
    """The service page, unchanged, in chromium against gunicorn + workers: live progress, preview, result."""
    from playwright.sync_api import expect

    context = browser.new_context(base_url=cluster.base)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("/toy/")
        for field, value in (("#field-steps", 40), ("#field-delay", 0.08)):
            page.eval_on_selector(field, "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", value)
        page.click("#generate")
        status = page.locator("[data-job-status]")
        expect(status).to_contain_text(re.compile(r"Running — [1-9]\d?%"), timeout=30_000)
        expect(page.locator("[data-job-preview]")).to_be_visible()
        expect(status).to_have_text("Done", timeout=60_000)
        expect(page.locator("#results .result img").first).to_be_visible()
    finally:
        context.close()
    assert errors == [], errors


def test_workers_take_only_the_services_they_serve(cluster):
    session = cluster.api_session()
    cluster.workers["w-all"].kill()  # only "w-toy" (toy) is left
    edit = session.post(cluster.base + "/api/v1/jobs", data={"service": "toyedit", "params": '{"steps": 1}'},
                        files={"image": ("face.png", png(), "image/png")}, timeout=30)
    assert edit.status_code == 202, edit.text
    toy = cluster.post_job(session, {"steps": 1})
    assert cluster.wait_job(session, toy.json())["status"] == "done"
    assert cluster.job(session, edit.json())["status"] == "queued"  # no toyedit worker: it waits in its queue
    assert cluster.redis_client().llen(queue_name("toyedit")) == 1
    cluster.start_worker("w-all")
    assert cluster.wait_job(session, edit.json())["status"] == "done"


def test_a_killed_worker_s_job_is_run_again_elsewhere(cluster):
    session = cluster.api_session()
    job = cluster.post_job(session, SLOW).json()
    wait_running(cluster, session, job)
    holder = cluster.redis_client().get(LEASE_KEY.format(job["id"])).decode()
    assert holder in cluster.workers
    cluster.workers[holder].kill()  # SIGKILL mid-job: no chance to clean up
    state = cluster.wait_job(session, job)
    assert state["status"] == "done", state
    assert len(state["images"]) == 1
    assert int(cluster.redis_client().get(ATTEMPTS_KEY.format(job["id"]))) == 1  # it was retried once
    cluster.start_worker(holder)


def test_redis_restart_loses_no_job(cluster):
    session = cluster.api_session()
    jobs = [cluster.post_job(session, {"steps": 20, "delay": 0.1}).json() for _ in range(3)]
    assert all("id" in job for job in jobs), jobs
    wait_until(lambda: sum(cluster.job(session, j)["status"] == "running" for j in jobs) == 2, 120,
               "two jobs running")
    cluster.redis.stop()  # without persistence: the queued job's message is gone
    refused = cluster.post_job(session, {"steps": 1})
    assert refused.status_code == 503 and int(refused.headers["Retry-After"]) > 0, refused.text
    assert "unavailable" in refused.json()["error"]
    time.sleep(1.0)
    cluster.redis.start()
    states = [cluster.wait_job(session, job, timeout=120) for job in jobs]
    assert [s["status"] for s in states] == ["done"] * 3, (states, cluster.logs())
    after = cluster.post_job(session, {"steps": 1})
    assert after.status_code == 202, after.text
    assert cluster.wait_job(session, after.json())["status"] == "done"


def test_web_restart_during_a_job(cluster):
    session = cluster.api_session()
    job = cluster.post_job(session, SLOW).json()
    wait_running(cluster, session, job)
    cluster.web.kill()
    with pytest.raises(requests.ConnectionError):
        cluster.job(session, job)
    cluster.start_web()
    state = cluster.wait_job(session, job)
    assert state["status"] == "done", state
    assert session.get(cluster.base + state["images"][0]["url"], timeout=10).status_code == 200


def test_short_load_run(cluster):
    """bench/load.py's engine for 20 s with more clients than the queue holds: only 503 + Retry-After when the
    queue is full, and every accepted job ends done or failed with a reason."""
    tokens = [cluster.api_session().headers["Authorization"].split()[1] for _ in range(8)]
    result = run_load(cluster.base, tokens, clients=8, duration=20, params={"steps": 2, "delay": 0.05},
                      drain=90, retry_cap=1.0)
    print("\nshort load run on the test cluster:", result)
    assert result["violations"] == [] and result["unfinished"] == []
    assert all(code < 500 or code == 503 for code in result["requests"]), result["requests"]
    assert 503 in result["requests"], "the queue (4) never filled with 8 clients and 2 workers"
    assert result["accepted"] > 10
    assert result["done"] + sum(result["failed"].values()) == result["accepted"]
    assert result["failed"] == {}, result["failed"]
