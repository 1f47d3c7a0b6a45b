"""`genstudio train FAMILY --config FILE`: the same command on a laptop CPU, a GPU, or under
`accelerate launch` / `torchrun` across GPUs and nodes."""

from __future__ import annotations

import click


@click.command("train")
@click.argument("family")
@click.option("--config", "config_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--steps", type=int, default=None, help="Override the config's total steps.")
@click.option("--data-root", default=None, help="Where the datasets live (default ../shared/datasets).")
@click.option("--run-dir", default=None, help="Checkpoints, logs and sample grids (default runs/<name>).")
@click.option("--export-dir", default=None, help="Where to write the weights (default weights/<name>).")
@click.option("--max-minutes", type=float, default=None, help="Stop with a checkpoint after this wall time.")
@click.option("--threads", type=int, default=None, help="torch CPU threads.")
@click.option("--continue-from", "continue_from", default=None, metavar="NAME",
              help="With no checkpoint yet, continue shipped weights NAME (their step, schedule and EMA).")
@click.option("--fresh", is_flag=True, help="Ignore an existing checkpoint and start from scratch.")
@click.option("--no-export", is_flag=True, help="Do not write weights/<name> at the end.")
def train_cmd(family, config_path, steps, data_root, run_dir, export_dir, max_minutes, threads, continue_from, fresh,
              no_export):
    """Train a model family from a YAML config, resuming from runs/<name>/checkpoint.pt if present."""
    from .loop import TrainConfig, Trainer, load_task

    cfg = TrainConfig.from_yaml(
        config_path,
        {"steps": steps, "data_root": data_root, "run_dir": run_dir, "export_dir": export_dir,
         "max_minutes": max_minutes, "threads": threads},
    )
    if continue_from:
        from ..weights import is_installed, read_config

        if not is_installed(continue_from):
            raise click.UsageError(f"--continue-from: no installed model {continue_from!r} in weights/")
        cfg.extra = {**cfg.extra, "init_from": continue_from}
        cfg.start_step = int(read_config(continue_from).get("step") or 0)
        cfg.start_seconds = shipped_seconds(continue_from)
    if cfg.family != family:
        raise click.UsageError(f"{config_path} is a {cfg.family!r} config, not {family!r}")
    trainer = Trainer(load_task(family), cfg)
    step = trainer.train(resume=not fresh, export=not no_export)
    click.echo(f"{cfg.name}: stopped at step {step}/{cfg.steps}; checkpoint {trainer.checkpoint_path}")


def shipped_seconds(name: str) -> float:
    """Wall time spent on shipped weights: the loop's own record in config.json, else the last row of the
    card's history (weights/<name>/history.json), else 0."""
    from ..weights import model_dir
    from ..yardstick.cards import load_history, trained_steps

    hours = trained_steps(name)[1]
    if not hours and (rows := load_history(model_dir(name))):
        hours = float(rows[-1].get("wall_time_h") or 0.0)
    return hours * 3600
