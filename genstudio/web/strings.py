"""Strings the visitor sees that are made outside templates: the browser scripts' strings (translated on the
server and handed over in a data- attribute) and error messages raised below the web layer (templates with
values, looked up in the catalogue here)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _


def js_strings() -> dict[str, str]:
    return {
        "queued": _("Queued — place %(n)s in the queue", n="{n}"),
        "starting": _("Starting…"),
        "running": _("Running — %(p)s%%", p="{p}"),
        "done": _("Done"),
        "failed": _("Failed: %(e)s", e="{e}"),
        "cancelled": _("Cancelled."),
        "cancelling": _("Cancelling…"),
        "submitting": _("Sending…"),
        "open": _("Open"),
        "download": _("Download"),
        "again": _("Make again"),
        "variations": _("Variations"),
        "identical": _("Identical to the original, byte for byte ✓"),
        "different": _("Different from the original (was the model retrained?)"),
        "copied": _("Copied"),
        "network": _("Lost contact with the server; retrying…"),
        "confirm": _("Are you sure?"),
        "retry_after": _("The queue is full; try again in %(s)s seconds.", s="{s}"),
        "not_saved": _("Not saved: sign up to keep your images."),
    }


def label(name: str) -> str:
    """The English label of a parameter, choice or attribute name ("blond_hair" -> "Blond hair"): the msgid
    that scripts/translations.py adds to the catalogue for every name a service declares."""
    return name.replace("_", " ").capitalize()


def localize(exc: BaseException) -> str:
    """An error's message in the visitor's language. ParamError, InputError and LimitExceeded keep an English
    template and its values (`template`, `values`); anything else is looked up as it is (or left English)."""
    template = getattr(exc, "template", None)
    if template is None:
        return _(str(exc))
    values: dict[str, Any] = getattr(exc, "values", None) or {}
    return _(template, **values)


def field_label(field: str) -> str:
    """The name of a parameter in an error message: its translated label, or the parameter's own name where the
    label is not translated (English keeps "hair: …", as the API documents)."""
    english = label(field)
    translated = _(english)
    return field if translated == english else translated


def param_error(exc: Any) -> str:
    """"field: message" for a ParamError, in the visitor's language."""
    return f"{field_label(exc.field)}: {localize(exc)}"
