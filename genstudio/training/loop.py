"""The one training loop every model family shares.

A family supplies a TrainTask (networks, optimisers, data, one step, a sample grid, export); this module
supplies everything around it: Accelerate (mixed precision, multi-GPU / multi-process), resume from a
checkpoint with model, EMA, optimiser, scheduler, step and RNG state, checkpoints every N steps and on
SIGINT/SIGTERM, a tqdm bar, a CSV log, fixed-seed sample grids and the export of the shipped weights.
"""

from __future__ import annotations

import csv
import os
import random
import signal
import time
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from accelerate import Accelerator
from PIL import Image
from tqdm.auto import tqdm

from .ema import EMA
from .sections import NoKeys, Sections, parse_section


@dataclass
class TrainConfig:
    """The family-independent part of a training config file (YAML); the family sections (model, optim, data,
    extra) are parsed into the family's own dataclasses by its TrainTask (genstudio.training.sections)."""

    family: str
    name: str  # the model name it exports to: weights/<name>/
    steps: int
    batch_size: int = 32
    lr: float = 1e-4
    data_root: str = "../shared/datasets"
    run_dir: str = ""  # default runs/<name>
    export_dir: str = ""  # default weights/<name> (through genstudio.weights)
    checkpoint_every: int = 500
    sample_every: int = 500
    log_every: int = 10
    export_every: int = 0  # 0: export only at the end
    ema_decay: float = 0.999
    ema_start: int = 0  # step at which EMA starts tracking (before it, EMA == raw weights)
    # a second, slower EMA kept beside the first (0: none) and exported beside it to <export folder>-slow: how
    # long to average is measured on the yardstick, not guessed (EDM2: it moves FID a lot)
    ema_slow_decay: float = 0.0
    seed: int = 0
    mixed_precision: str = "no"  # no | fp16 | bf16 (Accelerate)
    threads: int = 0  # torch CPU threads; 0 leaves torch's default
    max_minutes: float = 0.0  # stop (with a checkpoint) after this wall time; 0: no limit
    # continuing shipped weights (`genstudio train --continue-from NAME`): the step they were exported at. A run
    # with no checkpoint starts its count, its learning-rate schedule and its EMA there instead of at zero, so
    # a new machine carries a campaign on from what shipped (families count warm-up from here too)
    start_step: int = 0
    start_seconds: float = 0.0  # and the wall time already spent on them (the card's "all runs together")
    model: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    optim: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_yaml(cls, path: str | Path, overrides: dict[str, Any] | None = None) -> TrainConfig:
        raw = read_config_file(Path(path))
        raw.update({k: v for k, v in (overrides or {}).items() if v is not None})
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"{path}: unknown config keys {unknown}")
        return cls(**raw)

    def run_path(self) -> Path:
        return Path(self.run_dir or f"runs/{self.name}")

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def read_config_file(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A YAML config; with `base: other.yaml` (beside it), that file's settings with this one's on top,
    sections merged key by key, so a bake-off arm states only what it changes."""
    path = path.resolve()
    if path in seen:
        chain = " -> ".join(p.name for p in (*seen, path))
        raise ValueError(f"{path.name}: configs inherit from each other in a loop ({chain})")
    raw = yaml.safe_load(path.read_text()) or {}
    base = raw.pop("base", None)
    if base is None:
        return raw
    return _merged(read_config_file(path.parent / base, (*seen, path)), raw)


def _merged(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        both_sections = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _merged(out[key], value) if both_sections else value
    return out


class TrainTask(ABC):
    """What a model family provides to the shared loop.

    Subclasses build their networks/optimisers in __init__, register them in self.modules / self.optimizers
    / self.schedulers (already passed through accelerator.prepare), and list in self.ema_modules the
    module names that get an EMA copy (sampling and export use the EMA copy when there is one).

    Model / Optim / Data / Extra are the dataclasses of the config's four family sections
    (genstudio.training.sections); self.opts holds them parsed, and any undeclared key stops the run here.
    """

    Model: type = NoKeys
    Optim: type = NoKeys
    Data: type = NoKeys
    Extra: type = NoKeys

    def __init__(self, cfg: TrainConfig, accelerator: Accelerator):
        self.opts = Sections(*(parse_section(kind, getattr(cfg, name), name) for kind, name in (
            (self.Model, "model"), (self.Optim, "optim"), (self.Data, "data"), (self.Extra, "extra"))))
        self.cfg = cfg
        self.accelerator = accelerator
        self.device = accelerator.device
        self.modules: dict[str, torch.nn.Module] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.schedulers: dict[str, Any] = {}
        self.ema_modules: list[str] = []
        self.ema: dict[str, EMA] = {}  # filled by the loop
        # the averaged weights that extra.init_from shipped, by module name: a fresh run's EMA copies start from
        # them rather than from the live weights (a resumed run keeps its checkpoint's)
        self.init_ema: dict[str, dict[str, torch.Tensor]] = {}

    def register_adversarial(self, g: torch.nn.Module, d: torch.nn.Module, d_name: str, lr_g: float, lr_d: float,
                             betas: tuple[float, float]) -> None:
        """A generator and its discriminator (or critic), each with its own Adam, prepared by Accelerate; the
        generator gets the EMA copy that sampling and export use."""
        opt_g = torch.optim.Adam(g.parameters(), lr=lr_g, betas=betas)
        opt_d = torch.optim.Adam(d.parameters(), lr=lr_d, betas=betas)
        g, d, opt_g, opt_d = self.accelerator.prepare(g, d, opt_g, opt_d)
        self.modules = {"generator": g, d_name: d}
        self.optimizers = {"generator": opt_g, d_name: opt_d}
        self.ema_modules = ["generator"]

    @abstractmethod
    def batches(self) -> Iterator[Any]:
        """An endless iterator of training batches (augmentation included)."""

    @abstractmethod
    def train_step(self, batch: Any, step: int) -> dict[str, float]:
        """One optimisation step (all its optimisers); returns scalar logs, e.g. {"loss": 0.12}."""

    @abstractmethod
    def sample_grid(self, step: int) -> Image.Image:
        """A grid from fixed seeds so that progress is visible across steps (use self.sampling_module)."""

    def export_grid(self, step: int) -> Image.Image:
        """The grid written beside exported weights (samples.png); override when training grids show
        dataset images that must not be committed (e.g. edits of CelebA photos)."""
        return self.sample_grid(step)

    @abstractmethod
    def export(self, folder: Path, step: int) -> dict[str, Any]:
        """Write the shipped weights (genstudio.weights.save) into folder; return facts for the card."""

    def sampling_module(self, name: str) -> torch.nn.Module:
        """The EMA copy of a module when it has one, else the unwrapped live module."""
        if name in self.ema:
            return self.ema[name].module
        return self.accelerator.unwrap_model(self.modules[name])

    def extra_state(self) -> dict[str, Any]:
        """Anything else to checkpoint (e.g. a data-order generator)."""
        return {}

    def load_extra_state(self, state: dict[str, Any]) -> None:  # noqa: B027 - optional hook
        """Restore extra_state()."""


def _rng_state() -> dict[str, Any]:
    return {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def _set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if state.get("cuda") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


class Trainer:
    """Runs a TrainTask: resume, step, log, sample, checkpoint, export."""

    def __init__(self, task_cls: type[TrainTask], cfg: TrainConfig, accelerator: Accelerator | None = None):
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        self.cfg = cfg
        self.accelerator = accelerator or Accelerator(
            mixed_precision=cfg.mixed_precision, cpu=not torch.cuda.is_available()  # cpu: gloo under torchrun
        )
        seed = cfg.seed + self.accelerator.process_index
        random.seed(seed)
        np.random.seed(seed % 2**32)
        torch.manual_seed(seed)
        self.task = task_cls(cfg, self.accelerator)
        for name in self.task.ema_modules:
            self.task.ema[name] = EMA(self.accelerator.unwrap_model(self.task.modules[name]), cfg.ema_decay)
        self.slow_ema = {name: EMA(self.accelerator.unwrap_model(self.task.modules[name]), cfg.ema_slow_decay)
                         for name in self.task.ema_modules if cfg.ema_slow_decay}
        self.run = cfg.run_path()
        self.step = 0
        self._stop = False

    @property
    def checkpoint_path(self) -> Path:
        return self.run / "checkpoint.pt"

    @property
    def is_main(self) -> bool:
        return self.accelerator.is_main_process

    # -- checkpoints -------------------------------------------------------------------------------
    def _rng_path(self) -> Path:
        return self.run / f"rng_{self.accelerator.process_index}.pt"

    def save_checkpoint(self) -> None:
        """Main process writes models/optimisers; every process writes its own RNG state (data order)."""
        self.accelerator.wait_for_everyone()
        if self.accelerator.num_processes > 1:
            self.run.mkdir(parents=True, exist_ok=True)
            torch.save(_rng_state(), self._rng_path())
        if not self.is_main:
            return
        unwrap = self.accelerator.unwrap_model
        state = {
            "step": self.step,
            "config": self.cfg.as_dict(),
            "modules": {k: unwrap(m).state_dict() for k, m in self.task.modules.items()},
            "ema": {k: e.state_dict() for k, e in self.task.ema.items()},
            "ema_slow": {k: e.state_dict() for k, e in self.slow_ema.items()},
            "optimizers": {k: o.state_dict() for k, o in self.task.optimizers.items()},
            "schedulers": {k: s.state_dict() for k, s in self.task.schedulers.items()},
            "rng": _rng_state(),
            "extra": self.task.extra_state(),
        }
        self.run.mkdir(parents=True, exist_ok=True)
        tmp = self.checkpoint_path.with_suffix(".tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.checkpoint_path)  # atomic: a kill mid-save never corrupts the last checkpoint

    def load_checkpoint(self) -> bool:
        if not self.checkpoint_path.is_file():
            return False
        state = torch.load(self.checkpoint_path, map_location="cpu", weights_only=False)
        unwrap = self.accelerator.unwrap_model
        for k, m in self.task.modules.items():
            unwrap(m).load_state_dict(state["modules"][k])
        for k, e in self.task.ema.items():
            if k in state["ema"]:
                e.load_state_dict(state["ema"][k])
        for k, e in self.slow_ema.items():
            if k in state.get("ema_slow", {}):
                e.load_state_dict(state["ema_slow"][k])
            elif k in self.task.ema:  # added to a run in progress: it starts from the EMA it will be compared with
                e.load_state_dict(self.task.ema[k].state_dict())
        for k, o in self.task.optimizers.items():
            o.load_state_dict(state["optimizers"][k])
        for k, s in self.task.schedulers.items():
            s.load_state_dict(state["schedulers"][k])
        per_rank = self._rng_path()
        multi = self.accelerator.num_processes > 1 and per_rank.is_file()
        _set_rng_state(torch.load(per_rank, weights_only=False) if multi else state["rng"])
        self.task.load_extra_state(state.get("extra") or {})
        self.step = int(state["step"])
        return True

    def start_fresh(self) -> None:
        """No checkpoint to resume: start at cfg.start_step (a shipped model's step, else 0), the schedules jumped
        there, and the EMA copies seeded with the averages the task continues from (task.init_ema). A resumed
        run keeps its checkpoint's averages instead: the seed is for fresh runs only."""
        self.step = self.cfg.start_step
        if self.step:
            for sched in self.task.schedulers.values():
                with warnings.catch_warnings():  # "scheduler.step() before optimizer.step()": deliberate here
                    warnings.simplefilter("ignore")
                    sched.last_epoch = self.step - 1
                    sched.step()
        for name, state in self.task.init_ema.items():
            for ema in (self.task.ema.get(name), self.slow_ema.get(name)):
                if ema is not None:
                    ema.seed(state, self.step)
        if self.is_main and self.step:
            tqdm.write(f"{self.cfg.name}: continuing shipped weights from step {self.step}")

    # -- outputs -----------------------------------------------------------------------------------
    def log(self, logs: dict[str, float], elapsed: float) -> None:
        if not self.is_main:
            return
        path = self.run / "log.csv"
        row = {"step": self.step, "time_s": round(elapsed, 2), **{k: round(float(v), 6) for k, v in logs.items()}}
        new = not path.exists()
        with open(path, "a", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(row))
            if new:
                writer.writeheader()
            writer.writerow(row)

    def save_samples(self) -> Path | None:
        if not self.is_main:
            return None
        folder = self.run / "samples"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"step_{self.step:07d}.png"
        self.task.sample_grid(self.step).save(path)
        return path

    def export(self) -> dict[str, Any]:
        """Write weights/<name>/ (or cfg.export_dir) from the current (EMA) state."""
        if not self.is_main:
            return {}
        from ..weights import model_dir

        folder = Path(self.cfg.export_dir) if self.cfg.export_dir else model_dir(self.cfg.name)
        facts = self.task.export(folder, self.step)
        self.task.export_grid(self.step).save(folder / "samples.png")
        if self.slow_ema:  # the same export with the slow averages in the EMA's place (no grid: it is measured)
            fast, self.task.ema = self.task.ema, self.slow_ema
            try:
                self.task.export(folder.with_name(folder.name + "-slow"), self.step)
            finally:
                self.task.ema = fast
        return facts

    # -- the loop ----------------------------------------------------------------------------------
    def _request_stop(self, signum: int, frame: Any) -> None:
        self._stop = True

    def train(self, resume: bool = True, export: bool = True) -> int:
        """Train until cfg.steps (or a signal / max_minutes); returns the step reached."""
        if self.is_main:
            self.run.mkdir(parents=True, exist_ok=True)
        if resume and self.load_checkpoint():
            if self.is_main:
                tqdm.write(f"resumed {self.cfg.name} from step {self.step} ({self.checkpoint_path})")
        else:
            self.start_fresh()
        previous = {s: signal.signal(s, self._request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
        cfg = self.cfg
        start = time.time()
        elapsed_before = self._elapsed_before()
        data = self.task.batches()
        bar = tqdm(total=cfg.steps, initial=self.step, desc=cfg.name, disable=not self.is_main, dynamic_ncols=True)
        try:
            while self.step < cfg.steps and not self._stop:
                for module in self.task.modules.values():
                    module.train()
                logs = self.task.train_step(next(data), self.step)
                for name, ema in [*self.task.ema.items(), *self.slow_ema.items()]:
                    if self.step >= cfg.ema_start or name in self.task.init_ema:  # a seeded average averages on
                        ema.update(self.accelerator.unwrap_model(self.task.modules[name]))
                    else:
                        ema.copy_from(self.accelerator.unwrap_model(self.task.modules[name]))
                self.step += 1
                bar.update(1)
                bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items()}, refresh=False)
                if self.step % cfg.log_every == 0:
                    self.log(logs, elapsed_before + time.time() - start)
                if self.step % cfg.sample_every == 0:
                    self.save_samples()
                if self.step % cfg.checkpoint_every == 0:
                    self.save_checkpoint()
                if cfg.export_every and export and self.step % cfg.export_every == 0:
                    self.export()
                if cfg.max_minutes and time.time() - start > cfg.max_minutes * 60:
                    tqdm.write(f"{cfg.name}: max_minutes={cfg.max_minutes} reached at step {self.step}")
                    break
        finally:
            bar.close()
            for s, handler in previous.items():
                signal.signal(s, handler)
            self.save_checkpoint()  # also on interrupt: nothing trained is lost
        if export:
            self.export()
        return self.step

    def _elapsed_before(self) -> float:
        """Wall time already spent in earlier (resumed) runs, read from the CSV log (or the shipped weights')."""
        path = self.run / "log.csv"
        last = None
        if path.exists():
            with open(path) as fh:
                for row in csv.DictReader(fh):
                    if int(row["step"]) <= self.step:
                        last = row
        return float(last["time_s"]) if last else self.cfg.start_seconds


def load_task(family: str) -> type[TrainTask]:
    """Import the TrainTask class registered for a family name (see genstudio.training.FAMILIES)."""
    import importlib

    from . import FAMILIES

    target = FAMILIES.get(family) or (family if ":" in family else None)  # "package.module:Class" also works
    if target is None:
        raise KeyError(f"unknown family {family!r}; known: {', '.join(sorted(FAMILIES))}")
    module, _, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls)
