"""The `genstudio` command: serve, users, tokens, models, db, train."""

from __future__ import annotations

import click

from .training.cli import train_cmd


@click.group()
def main() -> None:
    """GenStudio: generate and edit images with models you can train yourself."""


main.add_command(train_cmd)


@main.group()
def models() -> None:
    """Installed models."""


@models.command("list")
def models_list() -> None:
    """Each service's models and whether their weights are installed."""
    from .services import load_services

    for service in load_services():
        for name in service.models():
            state = "ready" if service.is_installed(name) else f"missing — {service.install_hint}"
            click.echo(f"{service.name:10s} {name:28s} {state}")
