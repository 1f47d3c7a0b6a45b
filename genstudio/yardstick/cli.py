"""`genstudio eval pokemon --weights NAME ...`: a model's yardstick row printed under its calibration ladder."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group("eval")
def eval_group() -> None:
    """Measure shipped models on their yardstick (with the calibration ladder beside them)."""


@eval_group.command("pokemon")
@click.option("--weights", "names", multiple=True, default=("pokemon-wide",), show_default=True,
              help="Model name(s) under weights/ (repeat to compare several).")
@click.option("--data-root", default="../shared/datasets", show_default=True)
@click.option("--json-out", type=click.Path(dir_okay=False), default=None, help="Also write the rows as JSON.")
@click.option("--seed", type=int, default=None,
              help="First seed of the samples (default: the card's fixed seeds); another seed measures the noise.")
def eval_pokemon(names: tuple[str, ...], data_root: str, json_out: str | None, seed: int | None) -> None:
    """FID / KID / precision / recall in luminance species features, against unseen species' art."""
    from .pokemon import SEED, evaluate, format_table

    rows, memo = evaluate(list(names), data_root, progress=lambda m: click.echo(m, err=True),
                          seed=SEED if seed is None else seed)
    click.echo(format_table(rows))
    for name, dist in memo.items():
        click.echo(f"{name}: median RMS distance to the nearest training image {dist:.3f} "
                   "(memorisation check: near 0 would mean copies)")
    if json_out:
        Path(json_out).write_text(json.dumps({"rows": rows, "memorisation": memo}, indent=2) + "\n")


@eval_group.command("person")
@click.option("--weights", "names", multiple=True, default=("person-wgan64",), show_default=True,
              help="Generator name(s) under weights/ (repeat to compare several).")
@click.option("--upsampler", default=None,
              help="Measure at 2× instead: the generators' faces through this up-sampler (and bicubic) against "
                   "the sharp held-out photos at twice their resolution, e.g. person-upsampler.")
@click.option("--features", default="face-judge", show_default=True,
              help="With --upsampler: the classifier whose features measure (face-attributes if it is missing).")
@click.option("--truncation", type=float, default=1.0, show_default=True)
@click.option("--limit", type=int, default=None, help="At most this many faces per half (a quick look).")
@click.option("--data-root", default="../shared/datasets", show_default=True)
@click.option("--json-out", type=click.Path(dir_okay=False), default=None, help="Also write the rows as JSON.")
def eval_person(names: tuple[str, ...], upsampler: str | None, features: str, truncation: float,
                limit: int | None, data_root: str, json_out: str | None) -> None:
    """FID / KID / precision / recall in face-classifier features, against held-out identities."""
    from .person import evaluate, evaluate_2x, format_rates
    from .pokemon import format_table

    progress = lambda m: click.echo(m, err=True)  # noqa: E731
    facts: dict = {}
    if upsampler:
        rows, rates, facts = evaluate_2x(list(names), upsampler, data_root, features, truncation, limit, progress)
        click.echo(f"At {facts['size']} px, in the features of {facts['features']} ({facts['features_input']} px "
                   f"input), against {facts['reference_images']} sharp held-out photos:\n")
        if int(facts["features_input"]) < int(facts["size"]):
            click.echo(f"(these features see {facts['features_input']} px: detail above that does not count)\n")
    else:
        rows, rates = evaluate(list(names), data_root, truncation, limit, progress=progress)
    click.echo(format_table(rows))
    click.echo("\nAttribute rates (classifier > 0.5):\n" + format_rates(rates))
    if json_out:
        Path(json_out).write_text(json.dumps({"rows": rows, "rates": rates, **facts}, indent=2) + "\n")


@eval_group.command("makeup")
@click.option("--weights", "name", default="makeup-bilateral64", show_default=True, help="Makeup model under weights/.")
@click.option("--judge", default="face-judge", show_default=True,
              help="Attribute classifier that reads the edits (face-attributes when face-judge is not installed).")
@click.option("--n", type=int, default=60, show_default=True, help="Held-out faces, one scene each.")
@click.option("--seed", type=int, default=None, help="Scene seed (default: the yardstick's fixed one).")
@click.option("--data-root", default="../shared/datasets", show_default=True)
@click.option("--threads", type=int, default=1, show_default=True)
@click.option("--json-out", type=click.Path(dir_okay=False), default=None,
              help="Metrics JSON [default: runs/makeup-scene/<weights>.json].")
def eval_makeup(name: str, judge: str, n: int, seed: int | None, data_root: str, threads: int,
                json_out: str | None) -> None:
    """Every edit of the makeup service on held-out faces pasted into 1024×768 scenes, through the service's own
    photo pipeline: success, drift, face colour noise (beside real-face references), pixels changed outside
    the face, detection."""
    import torch

    from ..services.makeup import SERVICE
    from .makeup import SEED, evaluate, format_table, load_heldout, load_judge, teacher_of

    torch.set_num_threads(threads)
    pipeline = SERVICE.load(name)
    classifier, used = load_judge(judge)
    if used != judge:
        click.echo(f"{judge} is not installed: judging with {used}", err=True)
    if teacher_of(name) == used:
        raise click.ClickException(f"{name} was trained to convince {used}, so {used} cannot judge it: "
                                   "install face-judge or pass --judge with another classifier")
    faces, pool = load_heldout(data_root, n)
    result = evaluate(pipeline, classifier, faces, pool, SEED if seed is None else seed,
                      progress=lambda m: click.echo(m, err=True))
    result = {"weights": name, "checkpoint": pipeline.checkpoint, "judge": used,
              "judge_checkpoint": getattr(classifier, "checkpoint", ""),
              "reader": "face-attributes" if pipeline.editor.reader is not None else "critic", **result}
    click.echo(f"Scene yardstick: {name} ({pipeline.checkpoint}), judge {used}, {len(faces.images)} held-out faces\n")
    click.echo(format_table(result))
    out = Path(json_out or f"runs/makeup-scene/{name}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    click.echo(f"\nmetrics: {out}", err=True)
