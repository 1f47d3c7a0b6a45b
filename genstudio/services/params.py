"""A service's parameters: one schema drives validation, the page's form, `/api/v1/services` and the OpenAPI
document. Each kind of parameter is a small class that knows how to read a raw value, how to describe its
values as JSON Schema and which form widget edits it, so that no caller switches on the kind's name.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import ParamError, brief

SEED_MAX = 2**31 - 1


class Kind:
    """What one kind of parameter means. `name` is its type in `describe()` (and in the pages' scripts)."""

    name: ClassVar[str]
    drawn_at_random: ClassVar[bool] = False  # a missing value is drawn (and recorded) by Schema.resolve

    def coerce(self, param: Param, value: Any) -> Any:
        """The value in its canonical type, or ParamError naming the parameter."""
        raise NotImplementedError

    def value_range(self, param: Param) -> list[Any] | None:
        if param.min is None and param.max is None:
            return None
        return [param.min, param.max]

    def json_schema(self, param: Param) -> dict[str, Any]:
        """The JSON Schema of a value (the OpenAPI document's parameter, without default and description)."""
        raise NotImplementedError

    def widget(self, param: Param) -> str:
        """The form widget of the generic service page (templates/service_page.html)."""
        return "text"

    def step(self, param: Param) -> float | str:
        return 1


def _bounded(schema: dict[str, Any], lo: float | None, hi: float | None) -> dict[str, Any]:
    if lo is not None:
        schema["minimum"] = lo
    if hi is not None:
        schema["maximum"] = hi
    return schema


def read_number(name: str, value: Any, typ: type, lo: float | None, hi: float | None) -> Any:
    """An int or float within [lo, hi]; refuses booleans, fractions for ints, NaN, infinities and 400-digit
    numbers with a message that does not echo them."""
    wrong_type = ParamError(name, "must be an integer") if typ is int else ParamError(name, "must be a number")
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
        raise ParamError(name, "must be between %(lo)s and %(hi)s", lo=lo, hi=hi) from None
    if typ is float and not math.isfinite(number):  # NaN, or "inf" / "1e999" given as a string
        raise ParamError(name, "must be a number")
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        raise ParamError(name, "must be between %(lo)s and %(hi)s", lo=lo, hi=hi)
    return number


class Int(Kind):
    name = "int"
    number: ClassVar[type] = int

    def coerce(self, param: Param, value: Any) -> Any:
        return read_number(param.name, value, self.number, param.min, param.max)

    def json_schema(self, param: Param) -> dict[str, Any]:
        return _bounded({"type": "integer" if self.number is int else "number"}, param.min, param.max)

    def widget(self, param: Param) -> str:
        return "range" if param.min is not None and param.max is not None else "number"


class Float(Int):
    name = "float"
    number = float

    def step(self, param: Param) -> float | str:
        """A round step giving at least ~100 positions on the slider: 0.01 for [0, 1] or [1, 10], 0.1 for [0, 20]."""
        lo, hi = param.min, param.max
        if lo is None or hi is None or hi <= lo:
            return "any"
        return 10 ** math.floor(math.log10((hi - lo) / 100))


class Seed(Kind):
    name = "seed"
    drawn_at_random = True

    def coerce(self, param: Param, value: Any) -> Any:
        if value is None or value == "":
            return None  # drawn by Schema.resolve, so that it is recorded
        return read_number(param.name, value, int, 0, SEED_MAX)

    def value_range(self, param: Param) -> list[Any] | None:
        return [0, SEED_MAX]

    def json_schema(self, param: Param) -> dict[str, Any]:
        return {"type": ["integer", "null"], "minimum": 0, "maximum": SEED_MAX}

    def widget(self, param: Param) -> str:
        return "number"


class Bool(Kind):
    name = "bool"

    def coerce(self, param: Param, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if str(value).lower() in {"1", "true", "yes", "on"}:
            return True
        if str(value).lower() in {"0", "false", "no", "off"}:
            return False
        raise ParamError(param.name, "must be true or false")

    def json_schema(self, param: Param) -> dict[str, Any]:
        return {"type": "boolean"}

    def widget(self, param: Param) -> str:
        return "checkbox"


class Choice(Kind):
    name = "choice"

    def coerce(self, param: Param, value: Any) -> Any:
        if not isinstance(value, str) or value not in param.choices:
            raise ParamError(param.name, "must be one of %(choices)s", choices=", ".join(param.choices))
        return value

    def json_schema(self, param: Param) -> dict[str, Any]:
        return {"type": "string", "enum": list(param.choices)}

    def widget(self, param: Param) -> str:
        return "select"


class IntList(Kind):
    """Integers (seeds by default), as a list or a comma- or space-separated string."""

    name = "int_list"

    def bounds(self, param: Param) -> tuple[float, float]:
        return (0 if param.min is None else param.min, SEED_MAX if param.max is None else param.max)

    def coerce(self, param: Param, value: Any) -> Any:
        if isinstance(value, str):
            value = [v for v in value.replace(",", " ").split() if v]
        if not isinstance(value, list | tuple) or len(value) > param.max_items:
            raise ParamError(param.name, "must be a list of at most %(n)s integers", n=param.max_items)
        lo, hi = self.bounds(param)
        return [read_number(param.name, v, int, lo, hi) for v in value]

    def json_schema(self, param: Param) -> dict[str, Any]:
        lo, hi = self.bounds(param)
        return {"type": "array", "items": {"type": "integer", "minimum": lo, "maximum": hi},
                "maxItems": param.max_items}


class Dict(Kind):
    """{choice: number} for sliders, e.g. how far to move along each attribute."""

    name = "dict"

    def coerce(self, param: Param, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise ParamError(param.name, "must be an object of {name: number}")
        out = {}
        for key, amount in value.items():
            if key not in param.choices:
                raise ParamError(param.name, "unknown key %(key)s; choose from %(choices)s", key=brief(key),
                                 choices=", ".join(param.choices))
            out[key] = read_number(param.name, amount, float, param.min, param.max)
        return out

    def json_schema(self, param: Param) -> dict[str, Any]:
        number = _bounded({"type": "number"}, param.min, param.max)
        return {"type": "object", "properties": {c: dict(number) for c in param.choices},
                "additionalProperties": False}

    def widget(self, param: Param) -> str:
        return "sliders"


class Color(Kind):
    """An sRGB colour written #rrggbb (or #rgb, any case), kept as lower-case #rrggbb."""

    name = "color"
    PATTERN: ClassVar[re.Pattern[str]] = re.compile(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")

    def coerce(self, param: Param, value: Any) -> Any:
        match = self.PATTERN.fullmatch(value.strip()) if isinstance(value, str) else None
        if match is None:  # the value is not echoed: it may be anything, of any length
            raise ParamError(param.name, "must be a colour written #rrggbb, for example #b3202e")
        digits = match.group(1).lower()
        return "#" + ("".join(c * 2 for c in digits) if len(digits) == 3 else digits)

    def json_schema(self, param: Param) -> dict[str, Any]:
        return {"type": "string", "pattern": "^#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$"}

    def widget(self, param: Param) -> str:
        return "color"


KINDS: dict[str, Kind] = {kind.name: kind for kind in (Int(), Float(), Seed(), Bool(), Choice(), IntList(), Dict(),
                                                       Color())}


@dataclass(frozen=True)
class Param:
    """One parameter of a service: its kind (a name in KINDS), range and default.

    `when` = (other parameter, its values) marks a parameter that only matters for those values (e.g. the end
    face of an interpolation): otherwise it is dropped, so it is neither drawn at random nor recorded.
    `labels` gives display names to choices that capitalising would spell wrong (e.g. "dpm++" -> "DPM++").
    `omit_default` leaves the default value out of the params (a parameter added after images were made with
    what is now its default): older recipes then make the same file again, byte for byte.
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
    omit_default: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"parameter {self.name!r}: unknown kind {self.kind!r}; use one of {', '.join(KINDS)}")

    @property
    def type(self) -> Kind:
        return KINDS[self.kind]

    def describe(self) -> dict[str, Any]:
        """JSON description used by `/api/v1/services` and by the page forms."""
        out: dict[str, Any] = {"name": self.name, "type": self.kind, "default": self.default, "help": self.help}
        value_range = self.type.value_range(self)
        if value_range is not None:
            out["range"] = value_range
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

    def recorded(self, params: Mapping[str, Any]) -> bool:
        """Whether the validated params keep this parameter (used, and not an omitted default)."""
        return self.used_with(params) and not (self.omit_default and params.get(self.name) == self.default)

    def coerce(self, value: Any) -> Any:
        """Return the value in its canonical type or raise ParamError naming this parameter."""
        return self.type.coerce(self, value)


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
        others leave unused (see Param.when) and omitted defaults, so identical requests give identical recipes.
        Seeds may stay None."""
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
            out[p.name] = None if (value is None and not p.type.drawn_at_random) else p.coerce(value)
        return {name: value for name, value in out.items() if self.get(name).recorded(out)}

    def resolve(self, raw: Mapping[str, Any] | None, rng: random.Random | None = None) -> dict[str, Any]:
        """validate() and then draw every missing seed, so that the stored recipe reproduces the result."""
        params = self.validate(raw)
        rng = rng or random.SystemRandom()
        for p in self.params:
            if p.type.drawn_at_random and p.name in params and params[p.name] is None:
                params[p.name] = rng.randint(0, SEED_MAX)
        return params
