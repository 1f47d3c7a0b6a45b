"""The yardstick's place in a model card: a `## Yardstick` section between markers (rewritten each time, the rest
of the card kept) and the model's history of measurements (weights/<name>/history.json), one row per stretch
of training."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path
from typing import Any

SECTION = re.compile(r"\n?<!-- yardstick -->.*?<!-- /yardstick -->\n?", re.S)
METRICS = ("fid", "kid", "precision", "recall")


def load_history(folder: Path) -> list[dict[str, Any]]:
    path = folder / "history.json"
    return json.loads(path.read_text()) if path.is_file() else []


def record(folder: Path, steps: int, hours: float, row: dict[str, float]) -> list[dict[str, Any]]:
    """Append today's measurement to the model's history and return the whole history."""
    history = load_history(folder)
    history.append({"date": datetime.date.today().isoformat(), "steps": steps, "wall_time_h": round(hours, 2),
                    **{k: round(float(row[k]), 4) for k in METRICS}})
    (folder / "history.json").write_text(json.dumps(history, indent=2) + "\n")
    return history


def history_table(history: list[dict[str, Any]]) -> str:
    lines = ["| date | steps | wall time (h) | FID ↓ | KID×1000 ↓ | precision ↑ | recall ↑ |", "|---" * 7 + "|"]
    for h in history:
        lines.append(f"| {h['date']} | {h['steps']:,} | {h['wall_time_h']:.2f} | {h['fid']:.2f} | {h['kid']:.2f} | "
                     f"{h['precision']:.2f} | {h['recall']:.2f} |")
    return "\n".join(lines)


def write_section(card: Path, body: str, title: str = "") -> None:
    """Replace (or add at the end) the card's yardstick section with `body` (markdown)."""
    text = card.read_text() if card.is_file() else f"# {title or card.parent.name}\n"
    section = "<!-- yardstick -->\n## Yardstick\n\n" + body.strip() + "\n<!-- /yardstick -->\n"
    card.write_text(SECTION.sub("\n", text).rstrip() + "\n\n" + section)
