"""The small interface between the web layer and the generative models.

A service is three things: a parameter schema (the API, the form and `/api/v1/services` all come from it),
a generator (loaded once per process by model name) and a page. Nothing here knows about Flask, and
nothing in the web layer knows about tensors: generators take plain params and return PIL images.
"""

from __future__ import annotations

import math
import random
import reprlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

SEED_MAX = 2**31 - 1
_brief = reprlib.Repr()
_brief.maxstring = _brief.maxother = 40


def brief(value: Any) -> str:
    """repr() cut to a few dozen characters: error messages name a bad value without echoing a huge one."""
    return _brief.repr(value)


def N_(message: str) -> str:
    """Marks an English message for the catalogue (pybabel extracts N_) without translating it here: this layer
    knows no visitor; the web layer translates the message when it shows it."""
    return message


class ParamError(ValueError):
    """A request parameter is missing, of the wrong type or out of range (HTTP 422).

    `message` is an English template with `%(name)s` placeholders filled from `values`, so that the web layer
    can look the template up in the Korean catalogue (pybabel extracts ParamError's 2nd argument).
    """

    def __init__(self, field_name: str, message: str, **values: Any):
        self.template = message
        self.values = values
        self.field = field_name
        self.message = message % values if values else message
        super().__init__(f"{field_name}: {self.message}")


class InputError(ValueError):
    """An uploaded input cannot be used: not an image (415), too big (413) or unusable, e.g. no face (422).

    Like ParamError, `message` is a template filled from `values` (pybabel extracts InputError's 1st argument).
    """

    def __init__(self, message: str, status: int = 422, field_name: str = "image", **values: Any):
        self.template = message
        self.values = values
        self.message = message % values if values else message
        super().__init__(self.message)
        self.status = status
        self.field = field_name


class ModelMissing(RuntimeError):
    """The service's weights are not installed; the message says how to train them."""


class Cancelled(Exception):
    """Raised from a progress callback when the job was cancelled; generators just let it propagate."""


@dataclass(frozen=True)
class Param:
    """One parameter of a service: its type, range and default, with the coercion that enforces them.

    kind is one of: int, float, choice, bool, seed, int_list, dict (a {choice: float} mapping, for sliders).
    `when` = (other parameter, its values) marks a parameter that only matters for those values (e.g. the end
    face of an interpolation): otherwise it is dropped, so it is neither drawn at random nor recorded.
    `labels` gives display names to choices that capitalising would spell wrong (e.g. "dpm++" -> "DPM++").
    """

    name: str
    kind: str
    default: Any = None
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    help: str = ""
    max_items: int = 16
    when: tuple[str, tuple[str, ...]] | None = None
    labels: tuple[tuple[str, str], ...] = ()

    def describe(self) -> dict[str, Any]:
        """JSON description used by `/api/v1/services` and by the page forms."""
        out: dict[str, Any] = {"name": self.name, "type": self.kind, "default": self.default, "help": self.help}
        if self.kind == "seed":
            out["range"] = [0, SEED_MAX]
        elif self.min is not None or self.max is not None:
            out["range"] = [self.min, self.max]
        if self.choices:
            out["choices"] = list(self.choices)
        if self.labels:
            out["labels"] = dict(self.labels)
        if self.when:
            out["when"] = {self.when[0]: list(self.when[1])}
        return out

    def used_with(self, params: Mapping[str, Any]) -> bool:
        """Whether this parameter shapes the result, given the request's other parameters."""
        return self.when is None or params.get(self.when[0]) in self.when[1]

    def coerce(self, value: Any) -> Any:
        """Return the value in its canonical type or raise ParamError naming this parameter."""
        if self.kind == "seed":
            if value is None or value == "":
                return None  # resolved to a random seed by Schema.resolve so that it is recorded
            return self._number(value, int, 0, SEED_MAX)
        if self.kind == "int":
            return self._number(value, int, self.min, self.max)
        if self.kind == "float":
            return self._number(value, float, self.min, self.max)
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            if str(value).lower() in {"1", "true", "yes", "on"}:
                return True
            if str(value).lower() in {"0", "false", "no", "off"}:
                return False
            raise ParamError(self.name, "must be true or false")
        if self.kind == "choice":
            if not isinstance(value, str) or value not in self.choices:
                raise ParamError(self.name, "must be one of %(choices)s", choices=", ".join(self.choices))
            return value
        if self.kind == "int_list":
            if isinstance(value, str):
                value = [v for v in value.replace(",", " ").split() if v]
            if not isinstance(value, list | tuple) or len(value) > self.max_items:
                raise ParamError(self.name, "must be a list of at most %(n)s integers", n=self.max_items)
            lo = 0 if self.min is None else self.min
            hi = SEED_MAX if self.max is None else self.max
            return [Param(self.name, "int", min=lo, max=hi).coerce(v) for v in value]
        if self.kind == "dict":
            if not isinstance(value, Mapping):
                raise ParamError(self.name, "must be an object of {name: number}")
            out = {}
            for key, amount in value.items():
                if key not in self.choices:
                    raise ParamError(self.name, "unknown key %(key)s; choose from %(choices)s", key=brief(key),
                                     choices=", ".join(self.choices))
                out[key] = Param(self.name, "float", min=self.min, max=self.max).coerce(amount)
            return out
        raise ParamError(self.name, "unsupported parameter kind %(kind)s", kind=self.kind)

    def _number(self, value: Any, typ: type, lo: float | None, hi: float | None) -> Any:
        wrong_type = ParamError(self.name, "must be an integer") if typ is int else \
            ParamError(self.name, "must be a number")
        if isinstance(value, bool):
            raise wrong_type
        if isinstance(value, float) and not math.isfinite(value):  # 1e999 in JSON is infinity
            raise wrong_type
        try:
            number = typ(value)
            if typ is int and isinstance(value, float) and value != int(value):
                raise ValueError
        except (TypeError, ValueError):
            raise wrong_type from None
        except OverflowError:  # an integer of hundreds of digits as a float
            raise ParamError(self.name, "must be between %(lo)s and %(hi)s", lo=lo, hi=hi) from None
        if typ is float and not math.isfinite(number):  # NaN, or "inf" / "1e999" given as a string
            raise ParamError(self.name, "must be a number")
        if (lo is not None and number < lo) or (hi is not None and number > hi):
            raise ParamError(self.name, "must be between %(lo)s and %(hi)s", lo=lo, hi=hi)
        return number


@dataclass(frozen=True)
class Schema:
    """An ordered list of parameters; validates a raw request into complete, canonical params."""

    params: tuple[Param, ...]

    def __post_init__(self) -> None:
        names = [p.name for p in self.params]
        if len(names) != len(set(names)):
            raise ValueError(f"duplicate parameter names in {names}")

    def get(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def describe(self) -> list[dict[str, Any]]:
        return [p.describe() for p in self.params]

    def validate(self, raw: Mapping[str, Any] | None) -> dict[str, Any]:
        """Coerce every known parameter, fill defaults, reject unknown names, then drop the parameters that the
        others leave unused (see Param.when), so identical requests give identical recipes. Seeds may stay None."""
        raw = dict(raw or {})
        if not isinstance(raw, dict):
            raise ParamError("params", "must be an object")
        known = {p.name for p in self.params}
        for key in raw:
            if key not in known:
                raise ParamError(str(key)[:40], "unknown parameter")  # a 100 KB name is not echoed back
        out: dict[str, Any] = {}
        for p in self.params:
            value = raw.get(p.name)
            if value is None:  # absent or null: the default (which may itself be None: an optional parameter)
                value = p.default
            out[p.name] = None if (value is None and p.kind != "seed") else p.coerce(value)
        return {name: value for name, value in out.items() if self.get(name).used_with(out)}

    def resolve(self, raw: Mapping[str, Any] | None, rng: random.Random | None = None) -> dict[str, Any]:
        """validate() and then draw every missing seed, so that the stored recipe reproduces the result."""
        params = self.validate(raw)
        rng = rng or random.SystemRandom()
        for p in self.params:
            if p.kind == "seed" and p.name in params and params[p.name] is None:
                params[p.name] = rng.randint(0, SEED_MAX)
        return params


ProgressFn = Callable[[float, "Image.Image | None"], None]
"""progress(fraction in 0..1, optional preview image). Raises Cancelled when the job has been cancelled."""


def no_progress(fraction: float, preview: Image.Image | None = None) -> None:
    """A progress callback for callers that do not watch (CLI, benches, tests)."""


@dataclass
class Output:
    """One generated image and the extra recipe entries specific to it (e.g. its frame or term)."""

    image: Image.Image
    extra: dict[str, Any] = field(default_factory=dict)


class Generator(ABC):
    """A loaded model ready to generate. Instances are cached per process and must be thread-safe
    for sequential use (the runner serialises calls per generator)."""

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
    """A generative service: its schema, how to load its generator, and how to prepare uploads."""

    name: str  # used in URLs, the jobs API and recipes
    title: str
    description: str
    schema: Schema
    default_model: str
    accepts_upload: bool = False  # takes an `image` file (see upload_fields)
    upload_min_side: int = 1  # uploads narrower than this are refused from their header, before decoding
    install_hint: str = ""  # shown when weights are missing, e.g. "genstudio train pokemon --config ..."
    blueprint: Any = None  # the service page's Flask blueprint, set by the service package
    sync_seconds: float = 0.0  # small requests may be awaited this long by pages that want snappy answers
    # How an image's page shows the recipe's per-image entries (Output.extra): labels for their names and for the
    # words they hold (English, translated like titles and help; scripts/translations.py collects them), and a
    # template shown under the image (given `image`, `recipe` and `service`; e.g. an interpolation's animation).
    extra_labels: Mapping[str, str] = {}
    value_labels: Mapping[str, str] = {}
    image_template: str | None = None

    def __init__(self) -> None:
        self._generators: dict[str, Generator] = {}
        self._lock = threading.Lock()

    def models(self) -> list[str]:
        """Model names this service can load (default first)."""
        return [self.default_model]

    @abstractmethod
    def is_installed(self, model_name: str | None = None) -> bool:
        """True when the weights for model_name (default model if None) are present."""

    @abstractmethod
    def load(self, model_name: str) -> Generator:
        """Build the generator from the weights; raise ModelMissing with install_hint if absent."""

    def status(self) -> str:
        return "ready" if self.is_installed() else "missing"

    def generator(self, model_name: str | None = None) -> Generator:
        """The process-wide cached generator for model_name."""
        model_name = model_name or self.default_model
        with self._lock:
            if model_name not in self._generators:
                if model_name not in self.models():
                    raise ParamError("model", "unknown model %(model)s", model=brief(model_name))
                self._generators[model_name] = self.load(model_name)
            return self._generators[model_name]

    def upload_fields(self) -> tuple[str, ...]:
        """The multipart file fields this service reads: only these are decoded, any other file is refused."""
        return ("image",) if self.accepts_upload else ()

    def prepare(self, params: dict[str, Any], files: Mapping[str, Any]) -> dict[str, Any]:
        """Check uploads synchronously, before a job is created, so bad input never becomes a failed job.

        files maps field name -> genstudio.uploads.Upload (`.data` bytes, `.image` RGB), decoded once by the
        platform within its pixel limit. Returns the inputs dict handed to Generator.generate
        (must be picklable / storable: bytes or PIL images). Raise InputError for unusable uploads.
        """
        if self.accepts_upload and "image" not in files:
            raise ParamError("image", "an image file is required")
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
