"""The `resolution` parameter of the services that draw 2× through a learned up-sampler (person, pokemon): the
parameter itself, the choice's model, the lazily loaded up-sampler and what an up-sampled image records.

    up = upsampling(params.get("resolution") or NATIVE, "person-upsampler")   # None at native resolution
    images, extra, checkpoint = up.images(small), up.extra(), up.chain(pipeline.checkpoint)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from PIL import Image

from ..errors import N_, ParamError
from ..imaging import from_pil, to_pil
from ..model_cache import MODELS
from ..upsampler.model import load_upsampler
from ..upsampler.networks import Upsampler
from ..weights import is_installed
from .base import choice_unavailable
from .params import Param

NATIVE, DOUBLE = "native", "2x"  # the model's own size, or 2× through the learned up-sampler
RESOLUTIONS = (NATIVE, DOUBLE)
# how an image's page shows what an up-sampled image records (Service.extra_labels / code_extras)
EXTRA_LABELS = {"upsampler": N_("Up-sampler"), "upsampler_checkpoint": N_("Up-sampler checkpoint")}
CODE_EXTRAS = ("upsampler", "upsampler_checkpoint")


def resolution_param(help: str) -> Param:
    """The `resolution` choice. It came after the first images were made: "native" is left out of their recipes
    (omit_default), so those recipes still make the same files again."""
    return Param("resolution", "choice", NATIVE, choices=RESOLUTIONS, labels=((NATIVE, "Native"), (DOUBLE, "2×")),
                 omit_default=True, help=help)


def choice_models(upsampler: str) -> dict[str, dict[str, str]]:
    """Service.choice_models for a service whose 2× needs `upsampler`: the page disables 2× when it is missing."""
    return {"resolution": {DOUBLE: upsampler}}


@dataclass(frozen=True)
class Upsampling:
    """A loaded up-sampler under its model name, and what the images it enlarges record."""

    name: str
    network: Upsampler

    @property
    def checkpoint(self) -> str:
        return str(getattr(self.network, "checkpoint", ""))

    def extra(self) -> dict[str, str]:
        """The per-image recipe entries (Output.extra) of an up-sampled image."""
        return {"upsampler": self.name, "upsampler_checkpoint": self.checkpoint}

    def chain(self, checkpoint: str) -> str:
        """The image's checkpoint: the generator's, then the up-sampler's (Output.checkpoint)."""
        return f"{checkpoint}+{self.checkpoint}"

    @torch.no_grad()
    def images(self, images: list[Image.Image]) -> list[Image.Image]:
        """8-bit images enlarged 2×, all in one batch (for models that hand back PIL images, not tensors)."""
        return to_pil(self.network(from_pil(images))) if images else []


def load_upsampling(name: str) -> Upsampling:
    """The up-sampler `name`, loaded once per process through the model cache. ParamError when it is not
    installed: prepare() refuses such a request before a job exists (Service.missing_choice); this catches
    "make again" after the weights were removed."""
    if not is_installed(name):
        raise choice_unavailable("resolution", DOUBLE, name)
    return Upsampling(name, MODELS.get(name, load_upsampler))


def upsampling(resolution: str, name: str) -> Upsampling | None:
    """None at native resolution, the up-sampler `name` at 2× (ParamError for any other resolution)."""
    if resolution not in RESOLUTIONS:
        raise ParamError("resolution", "must be one of %(choices)s", choices=", ".join(RESOLUTIONS))
    return load_upsampling(name) if resolution == DOUBLE else None
