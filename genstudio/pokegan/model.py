"""The loaded Pokémon GAN: rebuild the EMA generator from weights/<name>/ and draw seeded, typed samples."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image

from ..data.pokemon import TYPES
from ..imaging import to_pil
from ..weights import load as load_weights
from ..wgan.latent import slerp, z_for_seeds
from .networks import Generator

HINT = "genstudio train pokemon-gan --config configs/pokemon-gan-cpu.yaml"


def generator_config(model: dict[str, Any]) -> dict[str, Any]:
    return {"family": "pokemon-gan", "z_dim": int(model.get("z_dim", 128)), "width": int(model.get("width", 32)),
            "resolution": int(model.get("resolution", 64))}


def type_for_seed(seed: int) -> int:
    """The type an "any" request draws for a seed (uniform over the 18 types)."""
    return int(np.random.default_rng(int(seed) % 2**63 + 7).integers(len(TYPES)))


@dataclass
class PokemonGanModel:
    name: str
    generator: Generator
    checkpoint: str
    config: dict[str, Any]

    @classmethod
    def load(cls, name: str = "pokemon-gan") -> PokemonGanModel:
        loaded = load_weights(name, hint=HINT)
        g = Generator(int(loaded.config["z_dim"]), int(loaded.config["width"]), int(loaded.config["resolution"]))
        prefix = "generator."
        g.load_state_dict({k[len(prefix):]: v for k, v in loaded.tensors.items() if k.startswith(prefix)})
        return cls(name, g.eval().requires_grad_(False), loaded.checkpoint, loaded.config)

    @torch.no_grad()
    def generate(self, type_name: str = "any", seeds: Sequence[int] = (0,), truncation: float = 1.0,
                 variation_of: int | None = None, variation: float = 0.0, **_: Any) -> list[Image.Image]:
        """One image per seed; "any" draws a type per seed. Truncation < 1 pulls z towards 0 (safer, plainer).

        With variation_of, every image is a small step (slerp by `variation`) from that seed's image towards
        its own seed's: the type (for "any") and the injected noise stay those of variation_of.
        """
        z_dim = int(self.config["z_dim"])
        z = z_for_seeds(seeds, z_dim)
        shape_seeds = list(seeds)
        if variation_of is not None and variation > 0:
            base = z_for_seeds([variation_of] * len(seeds), z_dim)
            z = slerp(base, z, variation)
            shape_seeds = [variation_of] * len(seeds)
        types = [type_for_seed(s) if type_name == "any" else TYPES.index(type_name) for s in shape_seeds]
        noise = [torch.Generator().manual_seed((int(s) * 2654435761 + 11) % 2**63) for s in shape_seeds]
        return to_pil(self.generator(z * truncation, torch.tensor(types), noise))
