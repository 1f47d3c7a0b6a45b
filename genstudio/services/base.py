"""The small interface between the web layer and the generative models.

A service is three things: a parameter schema (services/params.py: the API, the form and `/api/v1/services` all
come from it), a pipeline (a loaded model ready to generate, cached per process by genstudio.model_cache) and a
page (the module named by `Service.page`, or the generic page). Nothing here knows about Flask, and nothing in
the web layer knows about tensors: pipelines take plain params and return PIL images.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from .. import weights
from ..errors import ParamError, brief
from ..model_cache import MODELS
from .params import Schema

ProgressFn = Callable[[float, "Image.Image | None"], None]
"""progress(fraction in 0..1, optional preview image). Raises Cancelled when the job has been cancelled."""


def choice_unavailable(param: str, choice: str, model: str) -> ParamError:
    """The error for a choice whose model of its own (Service.choice_models) is not installed."""
    return ParamError(param, "%(choice)s is not available on this server: it needs the model %(model)s, which is "
                      "not installed", choice=choice, model=model)


def no_progress(fraction: float, preview: Image.Image | None = None) -> None:
    """A progress callback for callers that do not watch (CLI, benches, tests)."""


@dataclass
class Output:
    """One generated image and the extra recipe entries specific to it (e.g. its frame or term). `checkpoint`,
    when set, replaces the pipeline's for this image: a second model shaped it (e.g. `gen+upsampler`)."""

    image: Image.Image
    extra: dict[str, Any] = field(default_factory=dict)
    checkpoint: str = ""


class Pipeline(ABC):
    """A loaded model ready to generate: what a service's `load` returns (the networks themselves are
    torch modules in the model packages). Instances are cached per process and used by one job at a time."""

    model_name: str
    checkpoint: str  # short content hash of the weights, recorded in every recipe

    @abstractmethod
    def generate(
        self, params: dict[str, Any], inputs: dict[str, Any], progress: ProgressFn = no_progress
    ) -> list[Output]:
        """Make images from validated params (seeds already drawn) and prepared inputs (see Service.prepare).

        Same params and inputs on the same machine must give the same pixels.
        """


class Service(ABC):
    """A generative service: its schema, how to load its pipeline, and how to prepare uploads."""

    name: str  # used in URLs, the jobs API and recipes
    title: str
    description: str
    schema: Schema
    default_model: str
    accepts_upload: bool = False  # takes an `image` file (see upload_fields)
    upload_min_side: int = 1  # uploads narrower than this are refused from their header, before decoding
    install_hint: str = ""  # shown when weights are missing, e.g. "genstudio train pokemon --config ..."
    # The module of the service's own page: a Flask blueprint `bp` named after the service, imported by the web
    # layer and registered at /<name>. None: the generic page rendered from the schema.
    page: str | None = None
    sync_seconds: float = 0.0  # small requests may be awaited this long by pages that want snappy answers
    # How an image's page shows the recipe's per-image entries (Output.extra): labels for their names and for the
    # words they hold (English, translated like titles and help; scripts/translations.py collects them), and a
    # template shown under the image (given `image`, `recipe` and `service`; e.g. an interpolation's animation).
    extra_labels: Mapping[str, str] = {}
    value_labels: Mapping[str, str] = {}
    # Per-image entries that are machine values (model names, hashes): shown as code, never translated.
    code_extras: tuple[str, ...] = ()
    image_template: str | None = None

    def models(self) -> list[str]:
        """Model names this service can load (default first)."""
        return [self.default_model]

    @abstractmethod
    def is_installed(self, model_name: str | None = None) -> bool:
        """True when the weights for model_name (default model if None) are present."""

    @abstractmethod
    def load(self, model_name: str) -> Pipeline:
        """Build the pipeline from the weights; raise ModelMissing with install_hint if absent."""

    def status(self) -> str:
        return "ready" if self.is_installed() else "missing"

    def choice_models(self) -> dict[str, dict[str, str]]:
        """Choices that need a model of their own beside the service's: {parameter: {choice: model name}} (e.g. a
        2× resolution drawn through an up-sampler). `/api/v1/services` says whether each is installed, pages
        disable a missing one, and prepare() refuses it before a job exists."""
        return {}

    def missing_choice(self, params: Mapping[str, Any]) -> tuple[str, str, str] | None:
        """(parameter, choice, model) of the first choice in params whose model is not installed, or None."""
        for name, needs in self.choice_models().items():
            model = needs.get(params.get(name))  # type: ignore[arg-type]
            if model is not None and not weights.is_installed(model):
                return name, str(params.get(name)), model
        return None

    def describe_params(self) -> list[dict[str, Any]]:
        """The schema's description for the API listing: a parameter whose choices need a model of their own says
        which and whether it is installed (`needs`: {choice: {"model", "status"}})."""
        out = self.schema.describe()
        needs = self.choice_models()
        for param in out:
            if param["name"] in needs:
                param["needs"] = {choice: {"model": model, "status": "ready" if weights.is_installed(model) else
                                           "missing"} for choice, model in needs[param["name"]].items()}
        return out

    def _known(self, model_name: str | None) -> str:
        model_name = model_name or self.default_model
        if model_name not in self.models():
            raise ParamError("model", "unknown model %(model)s", model=brief(model_name))
        return model_name

    def pipeline(self, model_name: str | None = None) -> Pipeline:
        """The process-wide cached pipeline for model_name (the default model if None)."""
        return MODELS.get(self._known(model_name), self.load)

    @contextmanager
    def pipeline_in_use(self, model_name: str | None = None) -> Iterator[Pipeline]:
        """The cached pipeline, used by this caller alone until the block ends (a job, the landing example)."""
        with MODELS.use(self._known(model_name), self.load) as pipeline:
            yield pipeline

    def upload_fields(self) -> tuple[str, ...]:
        """The multipart file fields this service reads: only these are decoded, any other file is refused."""
        return ("image",) if self.accepts_upload else ()

    def prepare(self, params: dict[str, Any], files: Mapping[str, Any]) -> dict[str, Any]:
        """Check uploads synchronously, before a job is created, so bad input never becomes a failed job.

        files maps field name -> genstudio.uploads.Upload (`.data` bytes, `.image` RGB), decoded once by the
        platform within its pixel limit. Returns the inputs dict handed to Pipeline.generate
        (must be picklable / storable: bytes or PIL images). Raise InputError for unusable uploads.
        """
        if self.accepts_upload and "image" not in files:
            raise ParamError("image", "an image file is required")
        missing = self.missing_choice(params)
        if missing is not None:
            raise choice_unavailable(*missing)
        return {}

    def example(self) -> Image.Image | None:
        """A picture for the landing card drawn by the model at run time (e.g. a before/after of a bundled photo
        for a service that edits uploads). Not overridden: the sample grid beside the weights is used."""
        return None

    def expected_images(self, params: dict[str, Any]) -> int:
        """How many images a job with these params makes (used for per-day quotas)."""
        return int(params.get("count") or 1)


class Registry:
    """The services this process knows, in display order."""

    def __init__(self) -> None:
        self._services: dict[str, Service] = {}

    def register(self, service: Service) -> Service:
        self._services[service.name] = service
        return service

    def unregister(self, name: str) -> None:
        self._services.pop(name, None)

    def get(self, name: str) -> Service:
        return self._services[name]

    def __contains__(self, name: object) -> bool:
        return name in self._services

    def __iter__(self):
        return iter(list(self._services.values()))

    def names(self) -> list[str]:
        return list(self._services)
