"""Facts every model card records (steps, wall time, hardware), gathered the same way by every family here."""

from __future__ import annotations

import csv
import platform
from pathlib import Path
from typing import Any

import torch

from ..training.loop import TrainConfig


def hardware() -> str:
    if torch.cuda.is_available():
        return f"{torch.cuda.device_count()}x {torch.cuda.get_device_name(0)}"
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"CPU ({cpu}), {torch.get_num_threads()} torch thread(s)"


def wall_time_s(cfg: TrainConfig) -> float:
    """Training wall time summed over resumed runs, read from the loop's CSV log."""
    path = cfg.run_path() / "log.csv"
    if not path.is_file():
        return 0.0
    last = 0.0
    with open(path) as fh:
        for row in csv.DictReader(fh):
            last = float(row["time_s"])
    return last


def training_facts(cfg: TrainConfig, step: int, **more: Any) -> dict[str, Any]:
    return {
        "steps": step,
        "wall_time_s": round(wall_time_s(cfg), 1),
        "hardware": hardware(),
        "torch": torch.__version__,
        "config": cfg.as_dict(),
        **more,
    }
