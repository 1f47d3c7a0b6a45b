"""Exponential moving average of a network, buffers included (BatchNorm statistics follow the live model)."""

from __future__ import annotations

import copy
import math
from typing import Any

import torch


class EMA:
    """Keeps `module`, a frozen copy whose parameters trail the live network's.

    The decay warms up as min(decay, (1 + n) / (10 + n)) so early EMA weights are not stuck at
    initialisation — the failure behind "EMA samples are noise" reports (diffusers#1772, improved-diffusion#59).
    """

    def __init__(self, live: torch.nn.Module, decay: float = 0.999):
        self.module = copy.deepcopy(live).eval().requires_grad_(False)
        self.decay = decay
        self.updates = 0

    @torch.no_grad()
    def update(self, live: torch.nn.Module) -> None:
        self.updates += 1
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for ema_p, p in zip(self.module.parameters(), live.parameters(), strict=True):
            ema_p.lerp_(p.detach().to(ema_p.dtype), 1 - decay)
        for ema_b, b in zip(self.module.buffers(), live.buffers(), strict=True):
            ema_b.copy_(b)

    def seed(self, state: dict[str, torch.Tensor], updates: int = 0) -> None:
        """Start from weights that already are an average (a shipped EMA): the warm-up, meant for averages that
        start at initialisation, is skipped, so the first updates do not wash the seed out."""
        self.module.load_state_dict(state)
        settled = math.ceil((10 * self.decay - 1) / (1 - self.decay))  # where (1 + n) / (10 + n) reaches decay
        self.updates = max(updates, settled)

    @torch.no_grad()
    def copy_from(self, live: torch.nn.Module) -> None:
        self.module.load_state_dict(live.state_dict())

    def state_dict(self) -> dict[str, Any]:
        return {"module": self.module.state_dict(), "updates": self.updates, "decay": self.decay}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.module.load_state_dict(state["module"])
        self.updates = int(state.get("updates", 0))
