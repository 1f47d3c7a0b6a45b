"""Model cards for the exported Pokémon models: facts from the run (config, steps, wall time, loss curve).

A hand-written section between `<!-- notes -->` and `<!-- /notes -->` in an existing card is kept, so the
honest word on quality survives re-exports.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import yaml

from ..training.loop import TrainConfig

NOTES = re.compile(r"<!-- notes -->.*?<!-- /notes -->", re.S)
YARDSTICK = re.compile(r"<!-- yardstick -->.*?<!-- /yardstick -->\n?", re.S)  # scripts/pokemon_yardstick.py's


def read_log(run: Path) -> list[dict[str, float]]:
    path = run / "log.csv"
    if not path.is_file():
        return []
    with open(path) as fh:
        return [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(fh)]


def loss_curve(rows: list[dict[str, float]], path: Path, key: str = "loss") -> bool:
    """Plot the smoothed training loss to path (PIL only, no matplotlib); False when there is no log."""
    from PIL import Image, ImageDraw

    pts = [(r["step"], r[key]) for r in rows if key in r]
    if len(pts) < 2:
        return False
    w, h, m = 480, 240, 36
    vals = [v for _, v in pts]
    k = max(1, len(vals) // 50)
    smooth = [sum(vals[max(0, i - k):i + 1]) / len(vals[max(0, i - k):i + 1]) for i in range(len(vals))]
    lo, hi = min(smooth), max(smooth)
    hi = hi if hi > lo else lo + 1
    x0, x1 = pts[0][0], pts[-1][0]
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    d.rectangle([m, 8, w - 8, h - m], outline="black")
    xy = [(m + (s - x0) / max(1, x1 - x0) * (w - m - 8), h - m - (v - lo) / (hi - lo) * (h - m - 8))
          for (s, _), v in zip(pts, smooth, strict=True)]
    d.line(xy, fill=(200, 40, 40), width=2)
    d.text((m, h - m + 6), f"step {int(x0)}", fill="black")
    d.text((w - 90, h - m + 6), f"step {int(x1)}", fill="black")
    d.text((2, 8), f"{hi:.3g}", fill="black")
    d.text((2, h - m - 10), f"{lo:.3g}", fill="black")
    d.text((m + 6, 12), f"{key} (moving average)", fill="black")
    img.save(path)
    return True


def config_file(cfg: TrainConfig) -> str:
    """The repo config a model name comes from: configs/<name>.yaml for -gpu/-tiny, else configs/<name>-cpu.yaml."""
    suffix = "" if cfg.name.endswith(("-gpu", "-tiny")) else "-cpu"
    return str(cfg.extra.get("config_file") or f"configs/{cfg.name}{suffix}.yaml")


def write_card(folder: Path, cfg: TrainConfig, facts: dict[str, Any], kind: str, body: str = "") -> Path:
    """Write folder/README.md (+ loss.png) from the config, the run's log and the task's facts."""
    rows = read_log(cfg.run_path())
    wall = rows[-1]["time_s"] if rows else 0.0
    has_curve = loss_curve(rows, folder / "loss.png")
    path = folder / "README.md"
    old = path.read_text() if path.is_file() else ""
    kept = NOTES.search(old)
    measured = YARDSTICK.search(old)  # an export into a folder with a card keeps its hand notes and yardstick
    notes = kept.group(0) if kept else (
        "<!-- notes -->\n_(notes on quality are added by hand after training)_\n<!-- /notes -->")
    title = "Pokémon autoencoder (first stage)" if kind == "autoencoder" else "Random Pokémon: latent diffusion"
    cfg_yaml = yaml.safe_dump({k: v for k, v in cfg.as_dict().items() if k not in ("run_dir", "export_dir")},
                              sort_keys=False)
    text = f"""# {cfg.name} — {title}

Research artefact trained on Pokémon artwork (© Nintendo / Creatures Inc. / GAME FREAK inc. / The Pokémon
Company) from `../shared/datasets/pokemon` (`{cfg.data.get("subset", "art")}/`); the images themselves are not
in this repository.

{notes}

## Training facts

| fact | value |
|---|---|
| steps | {facts.get("step")} of {cfg.steps} configured |
| wall time | {wall / 60:.1f} min (all resumed runs together) |
| batch size | {cfg.batch_size} |
| hardware | {facts.get("hardware", "CPU (2 shared cores, one torch thread)")} |
{"".join(f"| {k} | {v} |" + chr(10) for k, v in facts.items() if k not in ("step", "hardware"))}
{"![training loss](loss.png)" if has_curve else ""}

{body}

## Reproduce

```
genstudio train {cfg.family} --config {config_file(cfg)}
```

<details><summary>config</summary>

```yaml
{cfg_yaml}```
</details>
{chr(10) + measured.group(0) if measured else ""}"""
    path.write_text(text)
    (folder / "facts.json").write_text(json.dumps(facts, indent=2, default=str) + "\n")
    return path
