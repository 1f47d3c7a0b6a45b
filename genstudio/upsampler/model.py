"""Load a trained up-sampler by model name."""

from __future__ import annotations

from typing import Any

from ..weights import load as load_weights
from .networks import Upsampler


def install_hint(name: str) -> str:
    """How to train the up-sampler `name`: each has its config (person-upsampler, pokemon-upsampler)."""
    return f"genstudio train upsampler --config configs/{name}-cpu.yaml"


def build_upsampler(config: dict[str, Any]) -> Upsampler:
    return Upsampler(int(config.get("width", 32)), int(config.get("blocks", 4)))


def load_upsampler(name: str = "person-upsampler") -> Upsampler:
    loaded = load_weights(name, hint=install_hint(name))
    model = build_upsampler(loaded.config)
    model.load_state_dict({k[len("upsampler."):]: v for k, v in loaded.tensors.items() if k.startswith("upsampler.")})
    model.checkpoint = loaded.checkpoint  # type: ignore[attr-defined]
    return model.eval().requires_grad_(False)
