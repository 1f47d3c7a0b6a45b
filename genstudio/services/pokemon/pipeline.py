"""The Random Pokémon pipelines: a diffusion model or a GAN behind the one `generate` the service calls, drawing
the same seeds (Batch) and recording the same entries per image."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PIL import Image

from ..base import Output, Pipeline, ProgressFn, no_progress
from ..resolution import NATIVE, Upsampling, upsampling

DISPLAY_SCALE = 2  # the models draw 64 px; results are shown 2× (Lanczos, or the learned up-sampler at 2x)
UPSAMPLER_MODEL = "pokemon-upsampler"  # configs/pokemon-upsampler-cpu.yaml: 64 -> 128 px, trained on the art


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

    def outputs(self, drawn: list[Image.Image], shown: list[Image.Image], checkpoint: str = "", **extra: Any
                ) -> list[Output]:
        """One Output per image as shown, its own seed and index, its drawn size (and the variation's base) in
        its recipe."""
        base = {"variation_of": self.seed} if self.variation > 0 else {}
        return [Output(big, {"seed": s, "index": i, **extra, "native_size": im.width, **base}, checkpoint)
                for i, (im, big, s) in enumerate(zip(drawn, shown, self.seeds, strict=True))]


class PokemonPipeline(Pipeline):
    """A loaded Pokémon model (genstudio.services.pokemon.models.load_pokemon_model) of either family."""

    def __init__(self, model_name: str, model: Any, upsampler: str = UPSAMPLER_MODEL) -> None:
        self.model = model
        self.model_name = model_name
        self.checkpoint = model.checkpoint
        self.upsampler_name = upsampler

    def upsampler(self, params: dict[str, Any]) -> Upsampling | None:
        """The request's up-sampler (None at native resolution), loaded before the model draws: a missing one
        fails the job at once, not after the sampling."""
        return upsampling(params.get("resolution") or NATIVE, self.upsampler_name)

    def outputs(self, batch: Batch, images: list[Image.Image], up: Upsampling | None, **extra: Any
                ) -> list[Output]:
        """The drawn images shown 2×: by Lanczos at native resolution; at 2x by the learned up-sampler, whose
        name and checkpoint the recipe records."""
        if up is None:
            return batch.outputs(images, [display(im) for im in images], **extra)
        return batch.outputs(images, up.images(images), up.chain(self.checkpoint), **extra, **up.extra())


class PokemonGanPipeline(PokemonPipeline):
    """genstudio.pokegan.model.PokemonGanModel: one forward pass, so no sampler and no live preview."""

    def generate(self, params: dict[str, Any], inputs: dict[str, Any], progress: ProgressFn = no_progress
                 ) -> list[Output]:
        batch, up = Batch.of(params), self.upsampler(params)
        images = self.model.generate(type_name=params["type"], seeds=batch.seeds, variation_of=batch.variation_of,
                                     variation=batch.variation)
        return self.outputs(batch, images, up)


class PokemonDiffusionPipeline(PokemonPipeline):
    """genstudio.diffusion.model.PokemonModel, sampled with the request's sampler, with the live denoising
    preview (the model's passing guesses, shown 2× by Lanczos at either resolution: only the finished images go
    through the up-sampler)."""

    def generate(self, params: dict[str, Any], inputs: dict[str, Any], progress: ProgressFn = no_progress
                 ) -> list[Output]:
        batch, up = Batch.of(params), self.upsampler(params)
        images = self.model.generate(
            type_name=params["type"], seeds=batch.seeds, sampler=params["sampler"], steps=int(params["steps"]),
            guidance=float(params["guidance"]), eta=float(params.get("eta") or 0.0),
            on_preview=lambda fraction, image: progress(0.98 * fraction, display(image)),
            variation_of=batch.variation_of, variation=batch.variation,
        )
        steps = self.model.schedule.get("num_train_timesteps", 1000) if params["sampler"] == "ddpm" \
            else int(params["steps"])
        return self.outputs(batch, images, up, sampler_steps=steps)
