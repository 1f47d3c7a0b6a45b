"""The Random Pokémon pipelines: a diffusion model or a GAN behind the one `generate` the service calls."""

from __future__ import annotations

from typing import Any

from PIL import Image

from ..base import Output, Pipeline, ProgressFn, no_progress

DISPLAY_SCALE = 2  # the models draw 64 px; results are shown 2× (Lanczos)


def display(image: Image.Image) -> Image.Image:
    return image.resize((image.width * DISPLAY_SCALE, image.height * DISPLAY_SCALE), Image.Resampling.LANCZOS)


class PokemonPipeline(Pipeline):
    """A loaded Pokémon model: as it is, the GAN (genstudio.pokegan.model.PokemonGanModel: one forward pass, so no
    sampler and no live preview); PokemonDiffusionPipeline below adds what the diffusion model takes. Image i
    gets seed + i; with variations, image i mixes a little of seed + 1 + i's noise into the seed's own."""

    def __init__(self, model_name: str, model: Any) -> None:
        self.model = model
        self.model_name = model_name
        self.checkpoint = model.checkpoint

    def draw(self, params: dict[str, Any], seeds: list[int], variation_of: int | None, variation: float,
             progress: ProgressFn) -> list[Image.Image]:
        """The images at the model's native resolution."""
        return self.model.generate(type_name=params["type"], seeds=seeds, variation_of=variation_of,
                                   variation=variation)

    def image_extra(self, params: dict[str, Any]) -> dict[str, Any]:
        """Recipe entries every image of this run records besides its seed and index."""
        return {}

    def generate(self, params: dict[str, Any], inputs: dict[str, Any], progress: ProgressFn = no_progress
                 ) -> list[Output]:
        seed, count = int(params["seed"]), int(params["count"])
        variation = float(params.get("variation") or 0.0)
        first = 1 if variation > 0 else 0
        seeds = [(seed + first + i) % 2**31 for i in range(count)]
        images = self.draw(params, seeds, seed if variation > 0 else None, variation, progress)
        extra = {"variation_of": seed} if variation > 0 else {}
        shared = self.image_extra(params)
        return [Output(display(im), {"seed": s, "index": i, **shared, "native_size": im.width, **extra})
                for i, (im, s) in enumerate(zip(images, seeds, strict=True))]


class PokemonDiffusionPipeline(PokemonPipeline):
    """The latent diffusion model (genstudio.diffusion.model.PokemonModel), sampled with the request's sampler,
    with live previews."""

    def draw(self, params: dict[str, Any], seeds: list[int], variation_of: int | None, variation: float,
             progress: ProgressFn) -> list[Image.Image]:
        return self.model.generate(
            type_name=params["type"], seeds=seeds, sampler=params["sampler"], steps=int(params["steps"]),
            guidance=float(params["guidance"]), eta=float(params.get("eta") or 0.0),
            on_preview=lambda fraction, image: progress(0.98 * fraction, display(image)),
            variation_of=variation_of, variation=variation,
        )

    def image_extra(self, params: dict[str, Any]) -> dict[str, Any]:
        steps = self.model.schedule.get("num_train_timesteps", 1000) if params["sampler"] == "ddpm" \
            else int(params["steps"])
        return {"sampler_steps": steps}
