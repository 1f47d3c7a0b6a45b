"""Stored PNGs as responses: an image (its recipe in the file's text chunks) and a running job's latest preview,
for the API and the pages alike."""

from __future__ import annotations

from flask import Response, abort

from ..db import Image, Job
from ..errors import N_
from ..extensions import studio


def preview_response(job: Job) -> Response:
    if not job.preview_key:
        abort(404)
    try:
        data = studio().storage.get(job.preview_key)
    except FileNotFoundError:
        abort(404)
    return Response(data, mimetype="image/png", headers={"Cache-Control": "no-store"})


def image_response(image: Image, download: bool) -> Response:
    """The stored PNG (recipe chunks included); a missing file is a 404 with a message."""
    try:
        data = studio().storage.get(image.storage_key)
    except FileNotFoundError:
        abort(404, description=N_("the image file is missing from storage"))
    headers = {"Cache-Control": "private, max-age=3600" if not image.public else "public, max-age=3600"}
    if download:
        headers["Content-Disposition"] = f'attachment; filename="genstudio-{image.service}-{image.id}.png"'
    return Response(data, mimetype="image/png", headers=headers)
