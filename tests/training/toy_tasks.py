"""A toy TrainTask for the shared loop's tests (importable by `genstudio train tests.training.toy_tasks:LineTask`)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image

from genstudio import weights
from genstudio.training.loop import TrainTask


@dataclass(frozen=True)
class LineExtra:
    interrupt_at: int | None = None  # send ourselves SIGINT at this step (the resume tests)


class LineTask(TrainTask):
    """Fits y = 3x - 1 with a tiny linear model; random batches come from the (checkpointed) torch RNG."""

    Extra = LineExtra

    def __init__(self, cfg, accelerator):
        super().__init__(cfg, accelerator)
        net = torch.nn.Sequential(torch.nn.Linear(1, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
        opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
        net, opt = accelerator.prepare(net, opt)
        self.modules = {"net": net}
        self.optimizers = {"net": opt}
        self.schedulers = {"net": torch.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.9)}
        self.ema_modules = ["net"]
        self.interrupt_at = self.opts.extra.interrupt_at

    def batches(self) -> Iterator[torch.Tensor]:
        while True:
            yield torch.rand(8, 1) * 2 - 1

    def train_step(self, batch, step):
        if step == self.interrupt_at:
            os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C / a scheduler's SIGTERM does mid-run
        loss = torch.nn.functional.mse_loss(self.modules["net"](batch), 3 * batch - 1)
        self.optimizers["net"].zero_grad()
        self.accelerator.backward(loss)
        self.optimizers["net"].step()
        self.schedulers["net"].step()
        return {"loss": loss.item()}

    def sample_grid(self, step):
        return Image.new("RGB", (8, 8), "white")

    def export(self, folder: Path, step: int):
        weights.save(folder, self.sampling_module("net").state_dict(), {"step": step}, half=False)
        return {"step": step}
