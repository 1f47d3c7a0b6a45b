"""Load the shipped face generator (and its attribute directions) by model name."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
from safetensors import safe_open

from ..weights import is_installed, model_dir
from ..weights import load as load_weights
from .networks import Generator, GrownGenerator

INSTALL_HINT = "train it with: genstudio train person --config configs/person-wgan64-cpu.yaml"
DIRECTIONS_HINT = "fit them with: python scripts/person_directions.py (needs person-wgan64 and face-attributes)"


def build_generator(config: dict[str, Any]) -> Generator | GrownGenerator:
    """The generator a config.json describes (a grown one when it records the base resolution)."""
    if "base_resolution" in config:
        base = Generator(int(config.get("z_dim", 128)), int(config.get("width", 32)), int(config["base_resolution"]))
        return GrownGenerator(base, int(config.get("grow_width", 48)))
    return Generator(int(config.get("z_dim", 128)), int(config.get("width", 32)), int(config.get("resolution", 64)))


def load_generator(name: str) -> tuple[Generator | GrownGenerator, str, dict[str, Any]]:
    """(EMA generator in eval mode, checkpoint digest, config) of weights/<name>/."""
    loaded = load_weights(name, hint=INSTALL_HINT)
    g = build_generator(loaded.config)
    prefix = "generator."
    g.load_state_dict({k[len(prefix):]: v for k, v in loaded.tensors.items() if k.startswith(prefix)})
    return g.eval().requires_grad_(False), loaded.checkpoint, loaded.config


@dataclass
class Directions:
    """Unit vectors in z, one per attribute, fitted on labelled samples of one generator."""

    vectors: dict[str, torch.Tensor]
    config: dict[str, Any] = field(default_factory=dict)
    checkpoint: str = ""

    @property
    def names(self) -> list[str]:
        return list(self.vectors)

    def demo(self, key: str) -> dict[str, Any]:
        return dict((self.config.get("demos") or {}).get(key) or {})


def _attribute_order(config: dict[str, Any], keys: Iterable[str]) -> list[str]:
    """The attributes of a directions file: the config's order, of those that have a tensor."""
    keys = set(keys)
    order = config.get("attributes") or sorted(k.split(".", 1)[1] for k in keys)
    return [a for a in order if f"direction.{a}" in keys]


def load_directions(name: str) -> Directions | None:
    """The directions saved under weights/<name>/ (tensors `direction.<attribute>`), None when absent."""
    if not is_installed(name):
        return None
    loaded = load_weights(name, hint=DIRECTIONS_HINT)
    order = _attribute_order(loaded.config, loaded.tensors)
    return Directions({a: loaded.tensors[f"direction.{a}"].float() for a in order}, loaded.config, loaded.checkpoint)


def direction_names(name: str) -> list[str] | None:
    """The attributes load_directions would give, read from config.json and the file's header alone (no tensor is
    loaded): what a request may ask for is checked without loading any model. None when absent."""
    if not is_installed(name):
        return None
    folder = model_dir(name)
    with safe_open(str(folder / "model.safetensors"), framework="pt") as fh:
        keys = list(fh.keys())
    return _attribute_order(json.loads((folder / "config.json").read_text()), keys)
