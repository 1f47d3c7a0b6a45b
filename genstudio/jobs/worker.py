"""`genstudio worker`: a Celery worker process that loads its services' models once and runs their jobs.

    GENSTUDIO_JOB_RUNNER=celery GENSTUDIO_REDIS_URL=redis://... DATABASE_URL=postgresql://... \
        genstudio worker --services pokemon --concurrency 1

It consumes only the queues of the services it is given (all configured services by default), so GPU
machines can take diffusion while CPU machines take the GANs. Jobs run in threads of this one process
(`--concurrency`), sharing the loaded pipelines; each pipeline is still used by one job at a time.
SIGTERM finishes the running jobs first (Celery's warm shutdown); a killed worker's jobs are retried or
failed by the reaper (see celery_runner).
"""

from __future__ import annotations

import logging
import os
import socket

import click


@click.command("worker")
@click.option("--services", default="", help="Comma-separated service names to serve (default: all configured).")
@click.option("--concurrency", "-c", type=int, default=None, help="Jobs at once (default $GENSTUDIO_JOB_WORKERS or 1).")
@click.option("--name", default=None, help="Worker name (default genstudio-<host>-<pid>).")
@click.option("--loglevel", default="INFO", show_default=True)
@click.option("--no-preload", is_flag=True, help="Load models on their first job instead of at start.")
def worker_cmd(services: str, concurrency: int | None, name: str | None, loglevel: str, no_preload: bool) -> None:
    """Run jobs from the Redis queue (needs GENSTUDIO_JOB_RUNNER=celery, a Redis URL and a shared database)."""
    from celery.signals import worker_ready

    from ..app import create_app
    from ..extensions import studio
    from .celery_runner import CeleryRunner, Leases, announce_worker, bind_worker, queue_name

    logging.basicConfig(level=loglevel.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("genstudio.worker")
    app = create_app({"JOB_START": False, "JOB_RUNNER": "celery"})
    st = studio(app)
    wanted = [s.strip() for s in services.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in st.registry]
    if unknown:
        raise click.UsageError(f"unknown service(s) {', '.join(unknown)}; configured: {', '.join(st.registry.names())}")
    for service_name in st.registry.names():
        if wanted and service_name not in wanted:
            st.registry.unregister(service_name)
    names = st.registry.names()
    if not names:
        raise click.UsageError("no services to serve (check GENSTUDIO_SERVICES)")

    if app.config.get("TORCH_THREADS"):  # one process, shared by its job threads
        import torch

        torch.set_num_threads(int(app.config["TORCH_THREADS"]))
    if not no_preload:  # load the models once, before taking jobs
        for service in st.registry:
            for model in service.models():
                if service.is_installed(model):
                    service.pipeline(model)
                    log.info("loaded %s / %s", service.name, model)
                elif model == service.default_model:
                    log.warning("%s: weights for %s are missing — %s", service.name, model, service.install_hint)

    runner: CeleryRunner = st.runner
    name = name or f"genstudio-{socket.gethostname()}-{os.getpid()}"
    leases = Leases(runner.redis, app.config["JOB_LEASE_SECONDS"], name)
    bind_worker(app, leases)

    @worker_ready.connect(weak=False)
    def _ready(**_kwargs) -> None:
        runner.attach_leases(leases)
        announce_worker(runner.redis, name, app.config["JOB_LEASE_SECONDS"])
        log.info("worker %s ready for %s", name, ", ".join(names))

    runner.start()
    concurrency = concurrency or int(app.config["JOB_WORKERS"])
    runner.celery.worker_main([
        "worker", "--queues", ",".join(queue_name(n) for n in names), "--pool", "threads",
        "--concurrency", str(max(1, concurrency)), "--hostname", f"{name}@%h", "--loglevel", loglevel,
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ])
