"""Typed sections of a training config: each family declares what its `model`, `optim`, `data` and `extra`
sections may hold (a dataclass per section, defaults in one place), and a key that is not declared stops the
run before anything is trained — a typo in a YAML must never silently train something else.

    @dataclass
    class Optim:
        warmup: int = 100
        weight_decay: float = 0.0

    class MyTask(TrainTask):
        Optim = Optim          # self.opts.optim.warmup, typed, after TrainTask.__init__
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class ConfigError(ValueError):
    """A training config section holds an unknown key or a value of the wrong type."""


@dataclasses.dataclass(frozen=True)
class NoKeys:
    """A section a family does not use: any key in it is an error."""


def _coerce(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _coerce(option, value, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0] if errors else f"{where}: unexpected value {value!r}")
    if dataclasses.is_dataclass(hint):
        return parse_section(hint, value, where)
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected an integer, got {value!r}")
    if hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    if hint is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    if origin in (list, tuple):
        if isinstance(value, list | tuple):
            return list(value)
        raise ConfigError(f"{where}: expected a list, got {value!r}")
    if origin is dict or hint is dict:
        if isinstance(value, Mapping):
            return dict(value)
        raise ConfigError(f"{where}: expected a mapping, got {value!r}")
    return value


def parse_section(cls: type[T], raw: Mapping[str, Any] | None, where: str) -> T:
    """An instance of the dataclass `cls` from a config mapping; ConfigError on unknown keys or wrong types."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a mapping, got {raw!r}")
    hints = typing.get_type_hints(cls)
    known = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    unknown = sorted(set(raw) - set(known))
    if unknown:
        allowed = ", ".join(known) if known else "nothing"
        raise ConfigError(f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                          f"(this family's {where.split('.')[0]} section takes {allowed})")
    return cls(**{k: _coerce(hints[k], v, f"{where}.{k}") for k, v in raw.items()})


def as_dict(section: Any) -> dict[str, Any]:
    """A parsed section back as a plain dict (for code that builds networks from config dicts)."""
    return dataclasses.asdict(section)


@dataclasses.dataclass(frozen=True)
class Sections:
    """The four typed sections of one run's config."""

    model: Any
    optim: Any
    data: Any
    extra: Any
