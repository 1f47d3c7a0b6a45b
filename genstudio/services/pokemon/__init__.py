"""Random Pokémon: type-conditioned latent diffusion (genstudio.diffusion) behind the jobs API and its page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from ... import weights
from ...data.pokemon import TYPES
from ..base import N_, Generator, Output, Param, ParamError, ProgressFn, Schema, Service, no_progress

MODEL = "pokemon"  # the default: the best installed model on the yardstick (`genstudio eval pokemon`)
OTHER_MODELS = ("pokemon-gan", "pokemon-wide", "pokemon-gpu")  # offered when their weights are installed
SAMPLER_CHOICES = ("ddpm", "ddim", "dpm++")
DDPM_STEPS = 1000  # DDPM, the original project's sampler, always walks the whole training schedule
WORK_LIMIT = 4000  # images × denoising steps per job: 16 images at 250 steps, or DDPM-1000 for 4 images
SAMPLER_LABELS = (("ddpm", "DDPM"), ("ddim", "DDIM"), ("dpm++", "DPM-Solver++"))
DISPLAY_SCALE = 2  # the model draws 64 px; results are shown 2× (Lanczos)

# Type colours from the games' UI, used by the page's type picker.
TYPE_COLOURS = {
    "normal": "#A8A77A", "fire": "#EE8130", "water": "#6390F0", "grass": "#7AC74C", "electric": "#F7D02C",
    "ice": "#96D9D6", "fighting": "#C22E28", "poison": "#A33EA1", "ground": "#E2BF65", "flying": "#A98FF3",
    "psychic": "#F95587", "bug": "#A6B91A", "rock": "#B6A136", "ghost": "#735797", "dragon": "#6F35FC",
    "dark": "#705746", "steel": "#B7B7CE", "fairy": "#D685AD", "any": "#6C757D",
}


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a #rrggbb colour."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def chip_ink(colour: str) -> str:
    """White or near-black text, whichever reads better on a type chip (light types: Electric, Ice, ...)."""
    return max(("#ffffff", "#212529"), key=lambda ink: contrast(colour, ink))


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
        return [Output(_display(im), {"seed": s, "index": i, **extra, "native_size": im.width, **base})
                for i, (im, s) in enumerate(zip(images, self.seeds, strict=True))]


class PokemonGanGenerator(Generator):
    """Wraps genstudio.pokegan.model.PokemonGanModel: one forward pass, so no sampler and no live preview."""

    def __init__(self, model_name: str) -> None:
        from ...pokegan.model import PokemonGanModel

        self.model = PokemonGanModel.load(model_name)
        self.model_name = model_name
        self.checkpoint = self.model.checkpoint

    def generate(self, params: dict[str, Any], inputs: dict[str, Any], progress: ProgressFn = no_progress
                 ) -> list[Output]:
        batch = Batch.of(params)
        return batch.outputs(self.model.generate(type_name=params["type"], seeds=batch.seeds,
                                                 variation_of=batch.variation_of, variation=batch.variation))


class PokemonGenerator(Generator):
    """Wraps genstudio.diffusion.model.PokemonModel, with the live denoising preview."""

    def __init__(self, model_name: str) -> None:
        from ...diffusion.model import PokemonModel

        self.model = PokemonModel.load(model_name)
        self.model_name = model_name
        self.checkpoint = self.model.checkpoint

    def generate(self, params: dict[str, Any], inputs: dict[str, Any], progress: ProgressFn = no_progress
                 ) -> list[Output]:
        batch = Batch.of(params)
        images = self.model.generate(
            type_name=params["type"], seeds=batch.seeds, sampler=params["sampler"], steps=int(params["steps"]),
            guidance=float(params["guidance"]), eta=float(params.get("eta") or 0.0),
            on_preview=lambda fraction, image: progress(0.98 * fraction, _display(image)),
            variation_of=batch.variation_of, variation=batch.variation,
        )
        steps = self.model.schedule.get("num_train_timesteps", 1000) if params["sampler"] == "ddpm" \
            else int(params["steps"])
        return batch.outputs(images, sampler_steps=steps)


def _display(image: Image.Image) -> Image.Image:
    return image.resize((image.width * DISPLAY_SCALE, image.height * DISPLAY_SCALE), Image.Resampling.LANCZOS)


class PokemonService(Service):
    name = "pokemon"
    title = "Random Pokémon"
    description = ("New creatures from a diffusion model trained on Pokémon artwork: pick a type, a sampler "
                   "and a seed, and watch them appear out of the noise.")
    default_model = MODEL
    install_hint = ("genstudio train pokemon-autoencoder --config configs/pokemon-autoencoder-cpu.yaml && "
                    "genstudio train pokemon --config configs/pokemon-cpu.yaml")
    sync_seconds = 0.0
    extra_labels = {"sampler_steps": N_("Denoising steps run"), "native_size": N_("Drawn at (px, shown 2×)"),
                    "variation_of": N_("Variation of seed")}
    schema = Schema((
        Param("count", "int", 8, 1, 16, help="How many creatures (1–16)."),
        Param("type", "choice", "any", choices=(*TYPES, "any"), help="Elemental type, or any."),
        Param("sampler", "choice", "dpm++", choices=SAMPLER_CHOICES, labels=SAMPLER_LABELS,
              help="DPM-Solver++ is fast; DDIM is deterministic at η=0; DDPM always takes the full 1000 steps."),
        # 10: bench/pokemon_sampling.py's fastest setting without visible loss (see the model card)
        Param("steps", "int", 10, 2, 1000, help="Denoising steps for DDIM and DPM-Solver++ (count × steps ≤ 4000)."),
        Param("guidance", "float", 3.0, 1.0, 10.0, help="How strongly the type steers the image (1 = off)."),
        Param("eta", "float", 0.0, 0.0, 1.0, help="DDIM only: 0 is deterministic, 1 is DDPM-like noise."),
        Param("variation", "float", 0.0, 0.0, 1.0,
              help="0: every image has its own seed. Above 0: small variations of the seed's image."),
        Param("seed", "seed", help="Image i uses seed + i; empty for a random seed (it is shown and saved)."),
    ))

    def models(self) -> list[str]:
        extra = [m for m in OTHER_MODELS if weights.is_installed(m)]
        return [self.default_model, *extra]

    def is_installed(self, model_name: str | None = None) -> bool:
        name = model_name or self.default_model
        if not weights.is_installed(name):
            return False
        import json

        config = json.loads((weights.model_dir(name) / "config.json").read_text())
        return config.get("family") == "pokemon-gan" or weights.is_installed(config.get("autoencoder", ""))

    def prepare(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        """Bound the work of one job by images × denoising steps (DDPM always takes the full schedule)."""
        steps = DDPM_STEPS if params.get("sampler") == "ddpm" else int(params.get("steps") or 0)
        count = int(params.get("count") or 1)
        if count * steps > WORK_LIMIT:
            field = "count" if params.get("sampler") == "ddpm" else "steps"
            raise ParamError(field, "%(count)d images × %(steps)d steps is more than %(limit)d: ask for at most "
                                    "%(most)d images at %(steps)d steps", count=count, steps=steps, limit=WORK_LIMIT,
                             most=max(1, WORK_LIMIT // steps))
        return super().prepare(params, files)

    def load(self, model_name: str) -> Generator:
        from ..base import ModelMissing

        if not self.is_installed(model_name):
            raise ModelMissing(f"model {model_name!r} (or its autoencoder) is not installed — {self.install_hint}")
        from .models import family_of

        if family_of(model_name) == "pokemon-gan":
            return PokemonGanGenerator(model_name)
        return PokemonGenerator(model_name)


SERVICE = PokemonService()


def _blueprint():
    from ...web.service_pages import service_blueprint

    bp = service_blueprint(SERVICE, template="pokemon/page.html", import_name=__name__,
                           template_folder="templates", static_folder="static",
                           static_url_path="/static")

    @bp.context_processor
    def type_colours() -> dict[str, Any]:
        return {"type_chips": [(name, colour, chip_ink(colour)) for name, colour in TYPE_COLOURS.items()]}

    return bp


SERVICE.blueprint = _blueprint()
PACKAGE = Path(__file__).resolve().parent
