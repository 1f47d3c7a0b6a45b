"""The yardstick's place in a model card: a `## Yardstick` section between markers (rewritten each time, the rest
of the card kept) and the model's history of measurements (weights/<name>/history.json), one row per stretch
of training."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SECTION = re.compile(r"\n?<!-- yardstick -->.*?<!-- /yardstick -->\n?", re.S)
# the history table's measurement columns: (history key, heading, format); a yardstick with other measures (an
# up-sampler's PSNR, SSIM and sharpness) passes its own to record() and history_table()
METRIC_COLUMNS = (("fid", "FID ↓", ".2f"), ("kid", "KID×1000 ↓", ".2f"), ("precision", "precision ↑", ".2f"),
                  ("recall", "recall ↑", ".2f"))
METRICS = tuple(key for key, _, _ in METRIC_COLUMNS)


def load_history(folder: Path) -> list[dict[str, Any]]:
    path = folder / "history.json"
    return json.loads(path.read_text()) if path.is_file() else []


def trained_steps(name: str, hours: float | None = None) -> tuple[int, float]:
    """(steps, wall-time hours) of a model from its config.json: the training facts the loop records, else the
    exported step; `hours` when given (a model whose wall time lives only in its card's prose)."""
    from ..weights import read_config

    config = read_config(name)
    facts = config.get("training") or {}
    steps = int(facts.get("steps") or config.get("step") or 0)
    return steps, hours if hours is not None else float(facts.get("wall_time_s") or 0.0) / 3600


def record(folder: Path, steps: int, hours: float, row: dict[str, float],
           context: dict[str, Any] | None = None, metrics: Sequence[str] = METRICS) -> list[dict[str, Any]]:
    """Append today's measurement (the `metrics` entries of `row`) to the model's history and return the whole
    history. `context` says what else the numbers depend on (e.g. an up-sampler's generator and features); it is
    kept with the row."""
    history = load_history(folder)
    history.append({"date": datetime.date.today().isoformat(), "steps": steps, "wall_time_h": round(hours, 2),
                    **dict(context or {}), **{k: round(float(row[k]), 4) for k in metrics}})
    (folder / "history.json").write_text(json.dumps(history, indent=2) + "\n")
    return history


def history_table(history: list[dict[str, Any]], columns: tuple[str, ...] = (),
                  metrics: Sequence[tuple[str, str, str]] = METRIC_COLUMNS) -> str:
    """The history as markdown; `columns` adds context entries (record's `context`) after the wall time, `metrics`
    says which measurements follow them, under which heading and in which format."""
    head = ["date", "steps", "wall time (h)", *columns, *(heading for _, heading, _ in metrics)]
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for h in history:
        cells = [h["date"], f"{h['steps']:,}", f"{h['wall_time_h']:.2f}", *(str(h.get(c, "")) for c in columns),
                 *(format(h[key], spec) for key, _, spec in metrics)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_section(card: Path, body: str, title: str = "") -> None:
    """Replace (or add at the end) the card's yardstick section with `body` (markdown)."""
    text = card.read_text() if card.is_file() else f"# {title or card.parent.name}\n"
    section = "<!-- yardstick -->\n## Yardstick\n\n" + body.strip() + "\n<!-- /yardstick -->\n"
    card.write_text(SECTION.sub("\n", text).rstrip() + "\n\n" + section)


def write_yardstick(folder: Path, parts: list[str], history_md: str = "") -> Path:
    """The card's yardstick section from its parts (markdown blocks) and, when there is one, the history table."""
    if history_md:
        parts = [*parts, "### History", "", history_md, ""]
    write_section(folder / "README.md", "\n".join(parts), folder.name)
    return folder / "README.md"
