"""The web layer: blueprints errors (the one error mapping), main, auth, gallery, jobs (the pages' own job routes),
api, openapi and one per service (its page module's `bp`, or the generic page)."""

from __future__ import annotations

from flask import Flask, request

from ..services.base import Registry


def register_web(app: Flask, registry: Registry) -> None:
    from . import api, auth, errors, gallery, jobs, main, openapi
    from .identity import init_identity
    from .service_pages import page_blueprint

    init_identity(app)
    for module in (errors, main, auth, gallery, jobs, api, openapi):
        app.register_blueprint(module.bp)
    for service in registry:
        app.register_blueprint(page_blueprint(service), url_prefix=f"/{service.name}")
    app.after_request(security_headers)
    app.jinja_env.globals["registry"] = registry
    app.context_processor(template_helpers)
    app.jinja_env.filters["install_command"] = install_command


def install_command(hint: str | None) -> str:
    """The command part of a service's install_hint (drops a leading "train it with:")."""
    import re

    return re.sub(r"^\s*train (it|them) with:\s*", "", hint or "", flags=re.IGNORECASE)


def template_helpers() -> dict:
    from flask import url_for
    from flask_babel import get_locale, gettext

    from .main import example_url
    from .recipe_view import image_seed
    from .strings import js_strings, label

    registry = current_registry()

    def service_title(name: str) -> str:
        return gettext(registry.get(name).title) if name in registry else name

    def param_label(name: str) -> str:
        return gettext(label(name))

    def choice_label(param: dict, choice: str) -> str:
        """A choice in a form: its declared label (Param.labels) or its capitalised name, translated."""
        return gettext((param.get("labels") or {}).get(choice) or label(choice))

    return {"current_locale": str(get_locale() or "en"), "js_strings": js_strings(), "service_title": service_title,
            "param_label": param_label, "choice_label": choice_label, "example_url": example_url,
            "image_seed": image_seed, "api_docs_url": url_for("openapi.docs")}


def current_registry() -> Registry:
    from ..extensions import studio

    return studio().registry


# No inline scripts anywhere (all JS is in static files). Inline style *attributes* are allowed (CSS variables
# set by templates, e.g. a chip's colour); <style> elements and remote origins are not.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
       "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", CSP)
    if request.path.startswith(("/api/", "/jobs/")) or request.endpoint in ("auth.profile",):
        response.headers.setdefault("Cache-Control", "no-store")
    return response
