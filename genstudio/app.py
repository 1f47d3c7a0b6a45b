"""create_app(config): configuration, extensions, services, blueprints and the job runner — nothing else.

How services plug in
--------------------
Each module named in the SERVICES config key (default: genstudio.services.SERVICE_MODULES) exposes
`SERVICE`, an instance of genstudio.services.base.Service. create_app builds a registry of them for this
app (app.extensions["genstudio"].registry) and registers each service's page blueprint at
`/<service.name>` (page at `/<service.name>/`):

- set `Service.page` to the module of your own page: a module-level flask.Blueprint `bp` named after the
  service, with top-level views (see genstudio/web/service_pages.py); a custom template extends
  `service_page.html` and overrides its blocks (`intro`, `controls`, `results`, `scripts`);
- or leave it None and get the generic page, rendered from `SERVICE.schema`.

A module that cannot be imported is logged and listed as "missing" in /healthz and on the landing page
(set SERVICES_STRICT=True to raise instead, as the tests of a service do). Entries of SERVICES may also
be Service instances (tests register a tiny one that way).
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event

from .config import build_config
from .extensions import Studio, babel, bootstrap, csrf, db, limiter, login_manager, migrate, select_locale
from .services.base import Registry, Service
from .storage import make_storage

log = logging.getLogger(__name__)
PACKAGE = Path(__file__).resolve().parent
MIGRATIONS = PACKAGE / "migrations"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    cfg = build_config(config)
    app = Flask("genstudio", instance_path=str(cfg["INSTANCE_PATH"]),
                template_folder="web/templates", static_folder="web/static")
    app.config.update(cfg)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(PACKAGE / "translations"))
    bootstrap.init_app(app)
    limiter.init_app(app)
    _sqlite_pragmas(app)

    studio = Studio(Registry(), make_storage(app.config))
    app.extensions["genstudio"] = studio
    _load_services(app, studio)

    from .web import register_web

    register_web(app, studio.registry)

    from .jobs import make_runner

    studio.runner = make_runner(app)
    if app.config["JOB_START"]:
        try:
            studio.runner.start()
        except Exception as exc:  # e.g. tables missing before `genstudio db upgrade`
            log.error("job runner not started: %s (run `genstudio db upgrade`)", exc)
    return app


def _load_services(app: Flask, studio: Studio) -> None:
    for entry in app.config["SERVICES"]:
        if isinstance(entry, Service):
            studio.registry.register(entry)
            continue
        try:
            service = importlib.import_module(entry).SERVICE
        except Exception as exc:
            if app.config.get("SERVICES_STRICT"):
                raise
            log.warning("service module %s not loaded: %s", entry, exc)
            studio.missing_modules[entry.rsplit(".", 1)[-1]] = f"{type(exc).__name__}: {exc}"
            continue
        studio.registry.register(service)


def _sqlite_pragmas(app: Flask) -> None:
    """WAL lets the worker thread write progress while pages read; foreign keys make cascades work."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        @event.listens_for(db.engine, "connect")
        def _on_connect(dbapi_connection, _record) -> None:
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
