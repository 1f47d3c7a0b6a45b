"""The Random Pokémon pipelines: a diffusion model or a GAN behind the one `generate` the service calls, drawing
the same seeds (Batch) and recording the same entries per image."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PIL import Image

from ..base import Output, Pipeline, ProgressFn, no_progress

DISPLAY_SCALE = 2  # the models draw 64 px; results are shown 2× (Lanczos)


def display(image: Image.Image) -> Image.Image:
    return image.resize((image.width * DISPLAY_SCALE, image.height * DISPLAY_SCALE), Image.Resampling.LANCZOS)


@dataclass(frozen=True)
class Batch:
    """Which seeds a request draws: image i uses seed + i; with a variation, image i is a small step from
    the seed's own image towards seed + 1 + i's (so the first variation is not the image itself)."""

    seed: int
    seeds: list[int]
    variation: float

    @classmethod
    def of(cls, params: dict[str, Any]) -> Batch:
        seed, count = int(params["seed"]), int(params["count"])
        variation = float(params.get("variation") or 0.0)
        first = 1 if variation > 0 else 0
        return cls(seed, [(seed + first + i) % 2**31 for i in range(count)], variation)

    @property
    def variation_of(self) -> int | None:
        return self.seed if self.variation > 0 else None

    def outputs(self, images: list[Image.Image], **extra: Any) -> list[Output]:
        """One displayed Output per image, its own seed and index (and the variation's base) in its recipe."""
        base = {"variation_of": self.seed} if self.variation > 0 else {}
        return [Output(display(im), {"seed": s, "index": i, **extra, "native_size": im.width, **base})
                for i, (im, s) in enumerate(zip(images, self.seeds, strict=True))]


class PokemonPipeline(Pipeline):
    """A loaded Pokémon model (genstudio.services.pokemon.models.load_pokemon_model) of either family."""

    def __init__(self, model_name: str, model: Any) -> None:
        self.model = model
        self.model_name = model_name
        self.checkpoint = model.checkpoint


class PokemonGanPipeline(PokemonPipeline):
    """genstudio.pokegan.model.PokemonGanModel: one forward pass, so no sampler and no live preview."""

    def generate(self, params: dict[str, Any], inputs: dict[str, Any], progress: ProgressFn = no_progress
                 ) -> list[Output]:
        batch = Batch.of(params)
        return batch.outputs(self.model.generate(type_name=params["type"], seeds=batch.seeds,
                                                 variation_of=batch.variation_of, variation=batch.variation))


class PokemonDiffusionPipeline(PokemonPipeline):
    """genstudio.diffusion.model.PokemonModel, sampled with the request's sampler, with the live denoising
    preview."""

    def generate(self, params: dict[str, Any], inputs: dict[str, Any], progress: ProgressFn = no_progress
                 ) -> list[Output]:
        batch = Batch.of(params)
        images = self.model.generate(
            type_name=params["type"], seeds=batch.seeds, sampler=params["sampler"], steps=int(params["steps"]),
            guidance=float(params["guidance"]), eta=float(params.get("eta") or 0.0),
            on_preview=lambda fraction, image: progress(0.98 * fraction, display(image)),
            variation_of=batch.variation_of, variation=batch.variation,
        )
        steps = self.model.schedule.get("num_train_timesteps", 1000) if params["sampler"] == "ddpm" \
            else int(params["steps"])
        return batch.outputs(images, sampler_steps=steps)
