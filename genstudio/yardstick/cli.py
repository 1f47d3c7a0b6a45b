"""`genstudio eval pokemon --weights NAME ...`: a model's yardstick row printed under its calibration ladder."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group("eval")
def eval_group() -> None:
    """Measure shipped models on their yardstick (with the calibration ladder beside them)."""


@eval_group.command("pokemon")
@click.option("--weights", "names", multiple=True, default=("pokemon",), show_default=True,
              help="Model name(s) under weights/ (repeat to compare several).")
@click.option("--data-root", default="../shared/datasets", show_default=True)
@click.option("--json-out", type=click.Path(dir_okay=False), default=None, help="Also write the rows as JSON.")
def eval_pokemon(names: tuple[str, ...], data_root: str, json_out: str | None) -> None:
    """FID / KID / precision / recall in luminance species features, against unseen species' art."""
    from .pokemon import evaluate, format_table

    rows, memo = evaluate(list(names), data_root, progress=lambda m: click.echo(m, err=True))
    click.echo(format_table(rows))
    for name, dist in memo.items():
        click.echo(f"{name}: median RMS distance to the nearest training image {dist:.3f} "
                   "(memorisation check: near 0 would mean copies)")
    if json_out:
        Path(json_out).write_text(json.dumps({"rows": rows, "memorisation": memo}, indent=2) + "\n")


@eval_group.command("person")
@click.option("--weights", "names", multiple=True, default=("person-wgan",), show_default=True,
              help="Generator name(s) under weights/ (repeat to compare several).")
@click.option("--truncation", type=float, default=1.0, show_default=True)
@click.option("--data-root", default="../shared/datasets", show_default=True)
@click.option("--json-out", type=click.Path(dir_okay=False), default=None, help="Also write the rows as JSON.")
def eval_person(names: tuple[str, ...], truncation: float, data_root: str, json_out: str | None) -> None:
    """FID / KID / precision / recall in face-classifier features, against held-out identities."""
    from .person import evaluate, format_rates
    from .pokemon import format_table

    rows, rates = evaluate(list(names), data_root, truncation, progress=lambda m: click.echo(m, err=True))
    click.echo(format_table(rows))
    click.echo("\nAttribute rates (classifier > 0.5):\n" + format_rates(rates))
    if json_out:
        Path(json_out).write_text(json.dumps({"rows": rows, "rates": rates}, indent=2) + "\n")
