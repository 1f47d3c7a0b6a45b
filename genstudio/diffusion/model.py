"""The loaded Random Pokémon model: U-Net + autoencoder from weights/<name>/, and generation with previews."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from diffusers import UNet2DModel
from PIL import Image

from ..data.pokemon import type_index
from ..imaging import grid, to_pil
from ..weights import load as load_weights
from .autoencoder import Autoencoder, load_autoencoder
from .pipeline import decode, initial_noise, sample_latents
from .unet import class_label, unet_config, unet_state

HINT = "genstudio train pokemon --config configs/pokemon-cpu.yaml (after configs/pokemon-autoencoder-cpu.yaml)"


@dataclass
class PokemonModel:
    name: str
    unet: UNet2DModel
    ae: Autoencoder
    schedule: dict[str, Any]
    checkpoint: str
    config: dict[str, Any]

    @classmethod
    def load(cls, name: str = "pokemon", device: str = "cpu") -> PokemonModel:
        """Rebuild both networks from the exported files (EMA U-Net weights), fp32 for CPU inference."""
        loaded = load_weights(name, hint=HINT)
        unet = UNet2DModel(**unet_config(loaded.config["unet"], len(loaded.config.get("styles", ()))))
        unet.load_state_dict(unet_state(loaded.tensors))
        ae, ae_checkpoint = load_autoencoder(loaded.config["autoencoder"], device)
        checkpoint = loaded.checkpoint if ae_checkpoint == loaded.config.get("autoencoder_checkpoint") \
            else f"{loaded.checkpoint}+{ae_checkpoint}"
        return cls(name, unet.to(device).eval().requires_grad_(False), ae, loaded.config["schedule"],
                   checkpoint, loaded.config)

    @property
    def styles(self) -> tuple[str, ...]:
        """The art styles this model can be asked for besides "any" (none for a type-only model)."""
        return tuple(self.config.get("styles", ()))

    @torch.no_grad()
    def generate(
        self,
        type_name: str = "any",
        seeds: Sequence[int] = (0,),
        sampler: str = "dpm++",
        steps: int = 20,
        guidance: float = 3.0,
        eta: float = 0.0,
        on_preview: Callable[[float, Image.Image], None] | None = None,
        variation_of: int | None = None,
        variation: float = 0.0,
        preview_interval: float = 0.5,
        style: str = "any",
    ) -> list[Image.Image]:
        """One image per seed (native resolution); on_preview(fraction, grid of predicted clean images)."""
        labels = [class_label(type_index(type_name), style, self.styles)] * len(seeds)
        c, s = self.unet.config.in_channels, self.unet.config.sample_size
        noise = initial_noise(list(seeds), (c, s, s), variation_of, variation)
        preview = None
        if on_preview is not None:
            last = [time.monotonic()]

            def preview(done: int, total: int, x0: torch.Tensor) -> None:
                # decoding costs more than a step at this size: refresh at most every preview_interval seconds
                if done < total and time.monotonic() - last[0] < preview_interval:
                    return
                last[0] = time.monotonic()
                on_preview(done / total, grid(to_pil(decode(self.ae, x0)), columns=min(len(seeds), 4)))
        if sampler == "ddpm":
            steps = int(self.schedule.get("num_train_timesteps", 1000))
        z = sample_latents(self.unet, labels, list(seeds), sampler, steps, guidance, eta, self.schedule,
                           preview=preview, preview_every=1, noise=noise)
        return to_pil(decode(self.ae, z))
