"""An image's recipe as people read it: one labelled row per fact, plain values in the visitor's language, and
the seed of the image itself (a job's parameters give its first image's seed; image k has its own).

The stored recipe (genstudio.recipes) stays as it is: this is only how the image page and the gallery cards
show it. An image's own entry (Output.extra) replaces the job parameter of the same name, so no fact is
shown twice with two values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from ..services.base import Service
from ..services.params import Param
from .strings import label

OWN_SEED_KEYS = ("seed", "face_seed")  # Output.extra entries that hold the image's own seed
HIDDEN_EXTRA = {"index"}  # shown as "Image n of m"


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    code: bool = False  # a machine value (model name, hash): shown as code, never translated


def image_seed(recipe: Any) -> int | None:
    """The seed that made this image: its own entry if the service records one, else the job's seed."""
    if not isinstance(recipe, dict):
        return None
    extra = recipe.get("extra") or {}
    for key in OWN_SEED_KEYS:
        if isinstance(extra.get(key), int):
            return extra[key]
    seed = (recipe.get("params") or {}).get("seed")
    return seed if isinstance(seed, int) else None


def term(word: str, service: Service | None, param: Param | None = None) -> str:
    """A word a recipe holds (a choice, an attribute, a code) as the visitor reads it."""
    if param is not None and word in dict(param.labels):
        return _(dict(param.labels)[word])
    if service is not None and word in service.value_labels:
        return _(service.value_labels[word])
    return _(label(word))


def number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def plain(value: Any, service: Service | None, param: Param | None = None) -> str:
    """A value without JSON quotes: words translated, lists joined, {attribute: amount} as "Smiling +2"."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, str):
        return term(value, service, param) if (param is None or param.choices) else value
    if isinstance(value, list | tuple):
        if not value:
            return _("none")
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
            return ", ".join(number(v) for v in value)
        return ", ".join(plain(v, service) for v in value)
    if isinstance(value, dict):
        if value and all(v in (0, 1) for v in value.values()):  # a set of attributes: name those that are on
            return ", ".join(term(k, service) for k, v in value.items() if v) or _("none")
        signed = param is not None and param.kind == "dict"  # slider amounts: +2, −1
        parts = [f"{term(k, service)} {'+' if signed and v > 0 else ''}{plain(v, service)}" for k, v in value.items()]
        return ", ".join(parts) or _("none")
    return str(value)


def recipe_rows(recipe: dict[str, Any], service: Service | None, width: int, height: int,
                images_in_job: int = 1) -> list[Row]:
    params = dict(recipe.get("params") or {})
    extra = dict(recipe.get("extra") or {})
    rows = [Row(_("Service"), _(service.title) if service else str(recipe.get("service"))),
            Row(_("Model"), str(recipe.get("model")), code=True),
            Row(_("Checkpoint"), str(recipe.get("checkpoint")), code=True)]
    seed, job_seed = image_seed(recipe), params.pop("seed", None)
    if seed is not None:
        rows.append(Row(_("Seed"), str(seed)))
    if job_seed is not None and job_seed != seed:
        rows.append(Row(_("First seed of its job"), str(job_seed)))
    schema = service.schema if service else None
    for name, value in params.items():
        if value is None or name in extra:
            continue
        param = _param(schema, name)
        rows.append(Row(_(label(name)), plain(value, service, param)))
    if images_in_job > 1:
        rows.append(Row(_("Image in its job"), _("%(n)s of %(total)s", n=int(recipe.get("index", 0)) + 1,
                                                 total=images_in_job)))
    for key, value in extra.items():
        if key in OWN_SEED_KEYS or key in HIDDEN_EXTRA:
            continue
        name = service.extra_labels.get(key) if service else None
        if key in getattr(service, "code_extras", ()):
            rows.append(Row(_(name or label(key)), str(value), code=True))
        else:
            rows.append(Row(_(name or label(key)), plain(value, service, _param(schema, key))))
    rows.append(Row(_("Size"), f"{width}×{height}"))
    return rows


def _param(schema, name: str) -> Param | None:
    try:
        return schema.get(name) if schema is not None else None
    except KeyError:
        return None
