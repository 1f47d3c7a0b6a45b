"""Virtual person: WGAN-GP faces and a latent-space explorer (interpolation, attribute sliders,
arithmetic, and a 2-D latent map)."""

from __future__ import annotations

from typing import Any

from ...errors import ParamError
from ...weights import is_installed
from ...wgan.directions import DIRECTION_ATTRIBUTES
from ...wgan.model import INSTALL_HINT, direction_names, load_directions, load_generator
from ..base import Service
from ..params import Param, Schema
from ..resolution import CODE_EXTRAS, EXTRA_LABELS, choice_models, resolution_param
from .pipeline import UPSAMPLER_MODEL, PersonPipeline, check_arithmetic

DEFAULT_MODEL = "person-wgan64"  # grown from the 32 px person-wgan (its card)
DIRECTIONS_MODEL = "person-directions"
MAP_MODEL = "latentmap-faces"
PLANE_MODEL = "person-plane"  # the map decoded through the GAN (scripts/person_plane.py)
CLASSIFIER_MODEL = "face-attributes"

GENERATE, INTERPOLATE, EDIT, ARITHMETIC = "generate", "interpolate", "edit", "arithmetic"

SCHEMA = Schema((
    Param("mode", "choice", GENERATE, choices=(GENERATE, INTERPOLATE, EDIT, ARITHMETIC),
          help="generate faces, walk between two faces, move faces along attributes, or add and subtract faces"),
    Param("count", "int", 8, 1, 64, help="how many faces (seed, seed+1, ...)", when=("mode", (GENERATE, EDIT))),
    Param("seed", "seed", help="face k is the face of seed + k", when=("mode", (GENERATE, INTERPOLATE, EDIT))),
    Param("truncation", "float", 0.8, 0.05, 1.5,
          help="temperature of z: lower gives more typical, cleaner faces; higher more variety"),
    Param("seed_b", "seed", help="interpolate: the face to walk to", when=("mode", (INTERPOLATE,))),
    Param("frames", "int", 16, 2, 64, help="interpolate: number of frames, both end faces included",
          when=("mode", (INTERPOLATE,))),
    Param("method", "choice", "slerp", choices=("slerp", "linear"),
          help="interpolate: spherical (keeps faces sharp midway) or straight line", when=("mode", (INTERPOLATE,))),
    Param("directions", "dict", {}, -6.0, 6.0, choices=DIRECTION_ATTRIBUTES,
          help="edit: how far to move along each attribute", when=("mode", (EDIT,))),
    Param("keep_others", "bool", False, help="edit: project out the other attributes' directions",
          when=("mode", (EDIT,))),
    resolution_param("native: the generator's own size; 2x: twice as large, through the learned up-sampler"),
    Param("plus", "int_list", [], max_items=8, help="arithmetic: seeds of faces to add", when=("mode", (ARITHMETIC,))),
    Param("minus", "int_list", [], max_items=8, help="arithmetic: seeds of faces to subtract",
          when=("mode", (ARITHMETIC,))),
))


class PersonService(Service):
    name = "person"
    title = "Virtual person"
    description = ("Faces that do not exist, from a WGAN-GP trained on CelebA — and a playground for its latent "
                   "space: interpolate, slide attributes, do face arithmetic, explore a 2-D map.")
    schema = SCHEMA
    default_model = DEFAULT_MODEL
    page = "genstudio.services.person.web"
    install_hint = INSTALL_HINT
    sync_seconds = 5.0
    image_template = "person/image_panel.html"
    extra_labels = EXTRA_LABELS
    code_extras = CODE_EXTRAS

    def is_installed(self, model_name: str | None = None) -> bool:
        return is_installed(model_name or self.default_model)

    def choice_models(self) -> dict[str, dict[str, str]]:
        return choice_models(UPSAMPLER_MODEL)

    def load(self, model_name: str) -> PersonPipeline:
        network, checkpoint, _config = load_generator(model_name)
        return PersonPipeline(model_name, network, checkpoint, load_directions(DIRECTIONS_MODEL), UPSAMPLER_MODEL)

    def prepare(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        """Mode-specific checks before a job exists, so a bad request never becomes a failed job (the names of
        the directions come from their files' header: no model is loaded in the web request)."""
        mode = params["mode"]
        if mode == ARITHMETIC:
            check_arithmetic(params.get("plus") or [], params.get("minus") or [])
        if mode == EDIT and params.get("directions"):
            names = direction_names(DIRECTIONS_MODEL)
            if names is None:
                raise ParamError("directions", "attribute directions are not installed on this server")
            missing = [a for a in params["directions"] if a not in names]
            if missing:
                raise ParamError("directions", "no direction learned for %(names)s", names=", ".join(missing))
        return super().prepare(params, files)

    def expected_images(self, params: dict[str, Any]) -> int:
        """An interpolation (one strip) or an arithmetic run (its result) is one image; faces are `count`."""
        if params.get("mode") in (INTERPOLATE, ARITHMETIC):
            return 1
        return int(params.get("count") or 1)


SERVICE = PersonService()
