"""Service registry: one line per service. Adding a service touches its own folder and SERVICE_MODULES."""

from __future__ import annotations

import importlib

from .base import Registry, Service

# Each module exposes SERVICE, an instance of genstudio.services.base.Service.
SERVICE_MODULES: tuple[str, ...] = (
    "genstudio.services.pokemon",
    "genstudio.services.makeup",
    "genstudio.services.person",
)

registry = Registry()


def load_services(modules: tuple[str, ...] = SERVICE_MODULES) -> Registry:
    """Import every service module once and register its SERVICE (idempotent)."""
    for path in modules:
        service: Service = importlib.import_module(path).SERVICE
        if service.name not in registry:
            registry.register(service)
    return registry
