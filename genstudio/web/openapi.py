"""The OpenAPI 3.1 document of the JSON API, at /api/v1/openapi.json (public, no token needed), and the same
document as a page people read, at /api/docs (served by the app itself, in the visitor's language).

Built from the live service registry, so every service's parameters (types, ranges, choices) are exactly what
the server validates; the fuzz tests (tests/cluster/test_fuzz.py) draw their requests from this document.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template

from ..errors import N_
from ..services.base import Service
from ..services.params import Param

bp = Blueprint("openapi", __name__)

ERRORS = {
    "400": N_("Malformed request (e.g. the body is not JSON)."),
    "401": N_("Missing or invalid API token."),
    "404": N_("No such service, job or image (or not yours)."),
    "413": N_("Upload too large."),
    "415": N_("Unsupported body or file type."),
    "422": N_("A parameter or the upload is invalid; `field` names it."),
    "429": N_("Rate or per-user limit reached; see Retry-After."),
    "503": N_("The queue is full or unavailable (with Retry-After), or the model's weights are missing."),
    "507": N_("The image storage is full."),
}


def param_schema(p: Param) -> dict[str, Any]:
    out = p.type.json_schema(p)
    if p.default is not None:
        out["default"] = p.default
    if p.help:
        out["description"] = p.help
    return out


def params_schema(service: Service) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False,
            "properties": {p.name: param_schema(p) for p in service.schema.params}}


def job_request_schema(service: Service) -> dict[str, Any]:
    return {"type": "object", "required": ["service"], "title": service.name, "properties": {
        "service": {"const": service.name},
        "model": {"type": "string", "enum": service.models()},
        "params": params_schema(service),
        "wait": {"type": "number", "minimum": 0, "description": "Seconds to wait for the result before answering."},
    }}


def error_responses(*codes: str) -> dict[str, Any]:
    out = {}
    for code in codes:
        response: dict[str, Any] = {"description": ERRORS[code],
                                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        if code in ("429", "503"):
            response["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
        out[code] = response
    return out


def json_ok(ref: str, description: str, code: str = "200") -> dict[str, Any]:
    return {code: {"description": description, "content": {"application/json": {"schema": {"$ref": ref}}}}}


def path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"}}


WAIT = {"name": "wait", "in": "query", "schema": {"type": "number", "minimum": 0},
        "description": "Seconds to wait for the job to finish (capped by the server)."}


def document(services: list[Service]) -> dict[str, Any]:
    job_ok = {**json_ok("#/components/schemas/Job", "Finished within `wait`."),
              **json_ok("#/components/schemas/Job", "Accepted; follow `url`.", "202")}
    image_png = {"200": {"description": "The PNG, with its recipe in text chunks.",
                         "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}}}
    upload_services = [s.name for s in services if s.accepts_upload]
    return {
        "openapi": "3.1.0",
        "info": {"title": "GenStudio API", "version": "1",
                 "description": "Generate images with the studio's services. Authenticate with "
                                "`Authorization: Bearer <token>` (make one on your profile page)."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/services": {"get": {"summary": N_("Services, their models and parameters"),
                                         "responses": {"200": {"description": "The services."},
                                                       **error_responses("401")}}},
            "/api/v1/jobs": {
                "get": {"summary": N_("Your latest jobs"), "responses": {
                    "200": {"description": "Jobs", "content": {"application/json": {"schema": {
                        "type": "object", "properties": {"jobs": {"type": "array",
                                                                   "items": {"$ref": "#/components/schemas/Job"}}}}}}},
                    **error_responses("401")}},
                "post": {
                    "summary": N_("Create a job"),
                    "parameters": [WAIT],
                    "requestBody": {"required": True, "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/JobRequest"}},
                        "multipart/form-data": {"schema": {"type": "object", "required": ["service"], "properties": {
                            "service": {"type": "string", "enum": upload_services or [s.name for s in services]},
                            "model": {"type": "string"},
                            "params": {"type": "string", "description": "The params object, as JSON."},
                            "image": {"type": "string", "format": "binary"},
                            "wait": {"type": "number", "minimum": 0}}}},
                    }},
                    "responses": {**job_ok, **error_responses("400", "401", "404", "413", "415", "422", "429", "503",
                                                              "507")},
                },
            },
            "/api/v1/jobs/{job_id}": {
                "get": {"summary": N_("A job's state, progress and images"), "parameters": [path_id("job_id"), WAIT],
                        "responses": {**json_ok("#/components/schemas/Job", "The job."),
                                      **error_responses("401", "404", "422")}},
                "delete": {"summary": N_("Cancel a job"), "parameters": [path_id("job_id")],
                           "responses": {**json_ok("#/components/schemas/Job", "The job."),
                                         **error_responses("401", "404")}},
            },
            "/api/v1/jobs/{job_id}/cancel": {
                "post": {"summary": N_("Cancel a job"), "parameters": [path_id("job_id")],
                         "responses": {**json_ok("#/components/schemas/Job", "The job."),
                                       **error_responses("401", "404")}}},
            "/api/v1/jobs/{job_id}/preview": {
                "get": {"summary": N_("The running job's latest preview"), "parameters": [path_id("job_id")],
                        "responses": {**image_png, **error_responses("401", "404")}}},
            "/api/v1/images": {"get": {"summary": N_("Your images"), "responses": {
                "200": {"description": "Images"}, **error_responses("401")}}},
            "/api/v1/images/{image_id}": {
                "get": {"summary": N_("An image (yours or public)"),
                        "parameters": [path_id("image_id"),
                                       {"name": "download", "in": "query",
                                        "schema": {"type": "string", "enum": ["1"]}}],
                        "responses": {**image_png, **error_responses("401", "404")}}},
            "/api/v1/images/{image_id}/recipe": {
                "get": {"summary": N_("How an image was made"), "parameters": [path_id("image_id")],
                        "responses": {"200": {"description": "The recipe."}, **error_responses("401", "404")}}},
            "/api/v1/images/{image_id}/again": {
                "post": {"summary": N_("Make an image again from its recipe"),
                         "parameters": [path_id("image_id"), WAIT],
                         "responses": {**job_ok, **error_responses("401", "404", "422", "429", "503", "507")}}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "JobRequest": {"oneOf": [job_request_schema(s) for s in services],
                               "discriminator": {"propertyName": "service"}},
                "Error": {"type": "object", "required": ["error"],
                          "properties": {"error": {"type": "string"}, "field": {"type": "string"}}},
                "Job": {"type": "object", "required": ["id", "status", "url"], "properties": {
                    "id": {"type": "string"}, "service": {"type": "string"}, "model": {"type": "string"},
                    "status": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
                    "progress": {"type": "number", "minimum": 0, "maximum": 1},
                    "position": {"type": ["integer", "null"]}, "params": {"type": "object"},
                    "error": {"type": ["string", "null"]}, "cancelled": {"type": "boolean"},
                    "url": {"type": "string"}, "preview_url": {"type": ["string", "null"]},
                    "images": {"type": "array", "items": {"type": "object"}},
                    "created_at": {"type": "string"}, "finished_at": {"type": ["string", "null"]}}},
            },
        },
    }


@bp.get("/api/v1/openapi.json")
def openapi():
    from ..extensions import studio

    return jsonify(document(list(studio().registry)))


@bp.get("/api/docs")
def docs():
    """The API for people: how to authenticate, every endpoint, each service's parameters, the error codes."""
    from ..extensions import studio

    services = list(studio().registry)
    spec = document(services)
    endpoints = [(method.upper(), path, op["summary"]) for path, ops in spec["paths"].items()
                 for method, op in ops.items()]
    return render_template("api_docs.html", endpoints=endpoints, services=services, errors=ERRORS)
