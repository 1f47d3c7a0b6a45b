"""Random Pokémon: type-conditioned latent diffusion (genstudio.diffusion) behind the jobs API and its page."""

from __future__ import annotations

from typing import Any

from ... import weights
from ...data.pokemon import TYPES
from ...errors import N_, ModelMissing, ParamError
from ..base import Pipeline, Service
from ..params import Param, Schema
from ..resolution import CODE_EXTRAS, EXTRA_LABELS, choice_models, resolution_param
from .models import family_of, load_pokemon_model
from .pipeline import UPSAMPLER_MODEL, PokemonDiffusionPipeline, PokemonGanPipeline

MODEL = "pokemon-wide"  # the default: the best installed model on the yardstick (`genstudio eval pokemon`)
OTHER_MODELS = ("pokemon", "pokemon-gan", "pokemon-gpu")  # offered when their weights are installed
SAMPLER_CHOICES = ("ddpm", "ddim", "dpm++")
DDPM_STEPS = 1000  # DDPM, the original project's sampler, always walks the whole training schedule
WORK_LIMIT = 4000  # images × denoising steps per job: 16 images at 250 steps, or DDPM-1000 for 4 images
SAMPLER_LABELS = (("ddpm", "DDPM"), ("ddim", "DDIM"), ("dpm++", "DPM-Solver++"))


class PokemonService(Service):
    name = "pokemon"
    title = "Random Pokémon"
    description = ("New creatures from a diffusion model trained on Pokémon artwork: pick a type, a sampler "
                   "and a seed, and watch them appear out of the noise.")
    default_model = MODEL
    page = "genstudio.services.pokemon.web"
    install_hint = ("genstudio train pokemon-autoencoder --config configs/pokemon-autoencoder-cpu.yaml && "
                    "genstudio train pokemon --config configs/pokemon-wide-cpu.yaml")
    sync_seconds = 0.0
    extra_labels = {"sampler_steps": N_("Denoising steps run"), "native_size": N_("Drawn at (px, shown 2×)"),
                    "variation_of": N_("Variation of seed"), **EXTRA_LABELS}
    code_extras = CODE_EXTRAS
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
        resolution_param("Native: the model's drawing, enlarged 2× by smooth resampling. 2×: enlarged by the learned "
                         "up-sampler trained on the Pokémon art."),
    ))

    def models(self) -> list[str]:
        extra = [m for m in OTHER_MODELS if weights.is_installed(m)]
        return [self.default_model, *extra]

    def is_installed(self, model_name: str | None = None) -> bool:
        name = model_name or self.default_model
        if not weights.is_installed(name):
            return False
        config = weights.read_config(name)
        return config.get("family") == "pokemon-gan" or weights.is_installed(config.get("autoencoder", ""))

    def choice_models(self) -> dict[str, dict[str, str]]:
        return choice_models(UPSAMPLER_MODEL)

    def prepare(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        """Bound the work of one job by images × denoising steps (DDPM always takes the full schedule; the
        up-sampler's single pass at 2× costs little beside them)."""
        steps = DDPM_STEPS if params.get("sampler") == "ddpm" else int(params.get("steps") or 0)
        count = int(params.get("count") or 1)
        if count * steps > WORK_LIMIT:
            field = "count" if params.get("sampler") == "ddpm" else "steps"
            raise ParamError(field, "%(count)d images × %(steps)d steps is more than %(limit)d: ask for at most "
                                    "%(most)d images at %(steps)d steps", count=count, steps=steps, limit=WORK_LIMIT,
                             most=max(1, WORK_LIMIT // steps))
        return super().prepare(params, files)

    def load(self, model_name: str) -> Pipeline:
        if not self.is_installed(model_name):
            raise ModelMissing(f"model {model_name!r} (or its autoencoder) is not installed — {self.install_hint}")
        model = load_pokemon_model(model_name)
        if family_of(model_name) == "pokemon-gan":
            return PokemonGanPipeline(model_name, model)
        return PokemonDiffusionPipeline(model_name, model)


SERVICE = PokemonService()

