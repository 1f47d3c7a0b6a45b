"""The one mapping of errors to answers, registered with the app as a blueprint: HTTP errors (404, 413, 429, a
missing CSRF token...), the studio's own errors (genstudio/errors.py: a bad parameter, an unusable upload, a
full queue...) and anything unexpected. API clients and JSON endpoints get `{"error": message, **details}`,
browsers an error page; always the right status, a short message in the visitor's language, never a trace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from ..errors import N_, ParamError, StudioError
from ..extensions import db
from .strings import localize, param_error

log = logging.getLogger(__name__)
bp = Blueprint("errors", __name__)

TITLES = {
    400: _l("Bad request"), 401: _l("Please log in"), 403: _l("Forbidden"), 404: _l("Not found"),
    405: _l("Method not allowed"),
    413: _l("Too large"), 415: _l("Unsupported file"), 422: _l("Invalid input"), 429: _l("Too many requests"),
    500: _l("Something went wrong"), 503: _l("Temporarily unavailable"), 507: _l("Storage full"),
}


def json_errors(view: Callable) -> Callable:
    """Mark a view that answers JSON (e.g. a service page's own endpoint): its errors — 413, 429, a missing CSRF
    token, a 500 — are JSON too, whatever the client's Accept header says."""
    view.json_errors = True  # type: ignore[attr-defined]
    return view


def wants_json() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return request.path.startswith(("/api/", "/jobs/")) or getattr(view, "json_errors", False) or (
        request.accept_mimetypes.best == "application/json")


def error_response(code: int, message: str, title: Any = None, headers: dict[str, str] | None = None,
                   **details: Any) -> Response:
    """JSON for API clients and JSON endpoints, the error page for browsers."""
    if wants_json():
        response = jsonify({"error": message, **details})
    else:
        response = current_app.response_class(render_template(
            "error.html", code=code, title=title or TITLES.get(code, ""), message=message), mimetype="text/html")
    response.status_code = code
    response.headers.update(headers or {})
    return response


def _message(exc: HTTPException) -> str:
    """The error's message in the visitor's language (English for API clients that ask for nothing else)."""
    if isinstance(exc, CSRFError):
        return _("the form expired or is missing its CSRF token; reload the page and try again")
    if exc.code == 429:
        return _("too many requests: %(limit)s", limit=exc.description)
    if exc.code == 413:
        return _("the request is too large")
    if exc.code == 404 and exc.description == exc.__class__.description:
        return _("not found") if wants_json() else _("There is nothing here: the page does not exist, or it is "
                                                      "private.")
    if exc.code == 405:
        return _("method not allowed")
    return _(exc.description or exc.name)


def _retry_after(exc: HTTPException) -> int:
    """Seconds until a rate-limit window ends (the whole window: a safe upper bound)."""
    try:
        return int(exc.limit.limit.get_expiry())  # flask_limiter's RateLimitExceeded
    except AttributeError:
        return 60


@bp.app_errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Response:
    code = exc.code or 500
    if code >= 500:
        db.session.rollback()
    headers = {"Retry-After": str(_retry_after(exc))} if code == 429 else {}
    return error_response(code, _message(exc), TITLES.get(code, exc.name), headers)


@bp.app_errorhandler(StudioError)
def studio_error(exc: StudioError) -> Response:
    """A parameter, an upload, a limit, the queue, a missing model or the storage: the status the error names,
    its message in the visitor's language and its details (the field at fault, `missing`)."""
    message = param_error(exc) if isinstance(exc, ParamError) else localize(exc)
    return error_response(exc.status, message, headers=exc.headers(), **exc.details())


@bp.app_errorhandler(Exception)
def unexpected(exc: Exception) -> Response:
    """Corrupt rows, missing files and bugs: log the traceback, show a plain error page."""
    log.exception("unhandled error on %s %s", request.method, request.path)
    db.session.rollback()
    return http_error(InternalServerError(N_("an internal error occurred; it has been logged")))
