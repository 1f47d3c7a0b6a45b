"""Every error the studio explains to its visitors, in one place at the bottom of the package (it imports nothing
from genstudio), so that weights, uploads, storage, services and jobs raise them without importing upward.

A StudioError carries an English message *template* with `%(name)s` placeholders filled from `values`, so that
the web layer can look the template up in the catalogue and show it in the visitor's language, and the HTTP
status it stands for. The web layer maps every one of them in one handler (genstudio/web/errors.py): JSON
`{"error": message, **details}` for API clients, an error page for browsers.
"""

from __future__ import annotations

import reprlib
from typing import Any

_brief = reprlib.Repr()
_brief.maxstring = _brief.maxother = 40


def brief(value: Any) -> str:
    """repr() cut to a few dozen characters: error messages name a bad value without echoing a huge one."""
    return _brief.repr(value)


def N_(message: str) -> str:
    """Marks an English message for the catalogue (pybabel extracts N_) without translating it here: this layer
    knows no visitor; the web layer translates the message when it shows it."""
    return message


class StudioError(Exception):
    """An error with a message for the visitor (an English template and its values) and an HTTP status."""

    status = 500

    def __init__(self, message: str, **values: Any):
        self.template = message
        self.values = values
        self.message = message % values if values else message
        super().__init__(self.message)

    def details(self) -> dict[str, Any]:
        """Extra members of the JSON answer (e.g. the field at fault)."""
        return {}

    def headers(self) -> dict[str, str]:
        """Extra headers of the answer (e.g. Retry-After)."""
        return {}


class ParamError(StudioError, ValueError):
    """A request parameter is missing, of the wrong type or out of range (HTTP 422). scripts/translations.py
    extracts ParamError's 2nd argument."""

    status = 422

    def __init__(self, field_name: str, message: str, **values: Any):
        super().__init__(message, **values)
        self.field = field_name
        self.args = (f"{field_name}: {self.message}",)

    def details(self) -> dict[str, Any]:
        return {"field": self.field}


class InputError(StudioError, ValueError):
    """An uploaded input cannot be used: not an image (415), too big (413), unusable, e.g. no face (422), or the
    server is too busy to decode it now (503). scripts/translations.py extracts InputError's 1st argument."""

    def __init__(self, message: str, status: int = 422, field_name: str = "image", **values: Any):
        super().__init__(message, **values)
        self.status = status
        self.field = field_name

    def details(self) -> dict[str, Any]:
        return {"field": self.field}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "5"} if self.status == 503 else {}  # the server's pixel budget stayed full


class ModelMissing(StudioError, RuntimeError):
    """The weights a request needs are not installed (HTTP 503); the message says how to train them."""

    status = 503

    def details(self) -> dict[str, Any]:
        return {"missing": True}


class UnknownService(StudioError, LookupError):
    """No service of that name (HTTP 404)."""

    status = 404


class LimitExceeded(StudioError, RuntimeError):
    """A per-user limit (jobs at once, images per day) would be exceeded (HTTP 429). scripts/translations.py
    extracts LimitExceeded's 1st argument."""

    status = 429


class QueueFull(StudioError, RuntimeError):
    """No room for another job right now (HTTP 503 with Retry-After)."""

    status = 503
    default = N_("the job queue is full; try again shortly")

    def __init__(self, retry_after: int = 10):
        super().__init__(self.default)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class QueueUnavailable(QueueFull):
    """The queue server cannot be reached right now (HTTP 503 with Retry-After, like a full queue)."""

    default = "the job queue is unavailable right now; try again shortly"

    def __init__(self, retry_after: int = 10, why: str = ""):
        super().__init__(retry_after)
        self.why = why


class StorageError(StudioError, RuntimeError):
    """The image storage refused a write (HTTP 507), e.g. an invalid key."""

    status = 507


class StorageFull(StorageError):
    """No room for these bytes: the configured quota or the disk is full (HTTP 507)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message or "the image storage is full; delete some images or ask the administrator "
                                    "to raise GENSTUDIO_STORAGE_QUOTA_MB or free disk space")


class Cancelled(Exception):
    """Raised from a progress callback when the job was cancelled; pipelines just let it propagate."""
