"""The `genstudio` command: serve, users, tokens, models, db, train."""

from __future__ import annotations

import click

from .jobs.worker import worker_cmd
from .training.cli import train_cmd
from .yardstick.cli import eval_group


@click.group()
def main() -> None:
    """GenStudio: generate and edit images with models you can train yourself."""


main.add_command(train_cmd)
main.add_command(eval_group)  # yardsticks: genstudio/yardstick/
main.add_command(worker_cmd)  # Celery worker: genstudio/jobs/worker.py


@main.group()
def models() -> None:
    """Installed models."""


@models.command("list")
def models_list() -> None:
    """Each service's models and whether their weights are installed."""
    from .extensions import studio

    st = studio(_app())
    for service in st.registry:
        for name in service.models():
            state = "ready" if service.is_installed(name) else f"missing — {service.install_hint}"
            click.echo(f"{service.name:10s} {name:28s} {state}")
    for module, why in st.missing_modules.items():
        click.echo(f"{module:10s} {'-':28s} not loaded — {why}")


# ---- the web platform: serve, db, users, tokens (instance folder and database as `make run`) ----

def _app(start_jobs: bool = False):
    from .app import create_app

    return create_app({"JOB_START": start_jobs})


@main.command("serve")
@click.option("--host", default=None, help="Interface to bind (default $HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default $PORT or 5000).")
def serve(host: str | None, port: int | None) -> None:
    """Upgrade the database, start the job workers and serve the site with waitress, a production WSGI server.

    One process (no fork), so the embedded job runner starts once, after recovering the jobs a previous process
    left behind. Waitress reads each request whole before a thread of its fixed pool takes it, and closes a
    connection idle for $GENSTUDIO_REQUEST_TIMEOUT seconds: a client that sends less body than it announced
    holds no thread and is dropped."""
    import logging

    from flask_migrate import upgrade
    from waitress import serve as waitress_serve

    from .app import MIGRATIONS
    from .extensions import studio

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = _app()
    with app.app_context():
        upgrade(directory=str(MIGRATIONS))
    studio(app).runner.start()
    host = host or app.config["HOST"]
    port = port or app.config["PORT"]
    timeout = float(app.config["REQUEST_TIMEOUT"])
    click.echo(f"GenStudio on http://{host}:{port}/  (instance {app.instance_path})")
    waitress_serve(
        app, host=host, port=port, ident="GenStudio", threads=int(app.config["SERVER_THREADS"]),
        channel_timeout=timeout, cleanup_interval=max(1.0, min(30.0, timeout / 2)),
        # bodies beyond the app's own limit are refused by waitress before being buffered (the app answers 413
        # itself, as JSON, for anything up to twice its limit)
        max_request_body_size=2 * int(app.config["MAX_CONTENT_LENGTH"]) + 1024 * 1024,
    )


@main.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create or migrate the tables (SQLite file in the instance folder, or $DATABASE_URL)."""
    from flask_migrate import upgrade

    from .app import MIGRATIONS

    app = _app()
    with app.app_context():
        upgrade(directory=str(MIGRATIONS), revision=revision)
    click.echo(f"database at {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]} is up to date")


@main.group()
def users() -> None:
    """User accounts."""


def _read_password() -> str:
    """A new password from stdin (prompted twice on a terminal), with the sign-up form's rules: at least 8
    characters and not one of the most common passwords."""
    import sys

    from .passwords import MIN_LENGTH, is_common

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_LENGTH:
        raise click.ClickException(f"the password must have at least {MIN_LENGTH} characters")
    if is_common(password):
        raise click.ClickException("the password is too common: it is among the first that attackers try")
    return password


@users.command("create")
@click.argument("name")
def users_create(name: str) -> None:
    """Create user NAME; the password is read from stdin (prompted twice on a terminal)."""
    import re

    from .db import User
    from .extensions import db

    if not re.fullmatch(r"[A-Za-z0-9_.\-]{3,32}", name):
        raise click.ClickException("NAME must be 3-32 letters, digits, '.', '-' or '_'")
    password = _read_password()
    app = _app()
    with app.app_context():
        if User.by_name(name) is not None:
            raise click.ClickException(f"user {name!r} already exists")
        user = User(username=name)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
    click.echo(f"created user {name}")


@users.command("set-password")
@click.argument("name")
@click.option("--revoke-tokens", is_flag=True, help="Also delete the user's API tokens.")
def users_set_password(name: str, revoke_tokens: bool) -> None:
    """Reset the password of user NAME (read like `users create`): the operator's way to let someone back in,
    as the studio sends no e-mail. Every session of that user is ended."""
    from .db import User
    from .extensions import db

    password = _read_password()
    app = _app()
    with app.app_context():
        user = User.by_name(name)
        if user is None:
            raise click.ClickException(f"no user {name!r}")
        user.set_password(password)
        revoked = user.revoke_tokens() if revoke_tokens else 0
        db.session.commit()
    click.echo(f"password of {name} changed" + (f"; {revoked} API token(s) revoked" if revoke_tokens else ""))


@users.command("delete")
@click.argument("name")
@click.confirmation_option(prompt="Delete this user and all their images?")
def users_delete(name: str) -> None:
    """Delete user NAME with their tokens, jobs and images."""
    from .db import User
    from .web.auth import delete_user

    app = _app()
    with app.app_context(), app.test_request_context():
        user = User.by_name(name)
        if user is None:
            raise click.ClickException(f"no user {name!r}")
        delete_user(user)
    click.echo(f"deleted user {name}")


@main.group()
def tokens() -> None:
    """API tokens."""


@tokens.command("create")
@click.argument("name")
@click.option("--label", default="cli", show_default=True, help="A name for the token.")
def tokens_create(name: str, label: str) -> None:
    """Create an API token for user NAME and print it (it is stored hashed and cannot be shown again)."""
    from .db import ApiToken, User
    from .extensions import db

    app = _app()
    with app.app_context():
        user = User.by_name(name)
        if user is None:
            raise click.ClickException(f"no user {name!r}; create it with `genstudio users create {name}`")
        _row, token = ApiToken.issue(user, label)
        db.session.commit()
    click.echo(token)
