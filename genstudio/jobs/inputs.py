"""A job's inputs: what Service.prepare returned, stored through storage so that any worker (and "make again")
can use them, and deleted as soon as nothing needs them (uploads are private)."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
from PIL import Image as PILImage

from ..db import Job
from ..errors import InputError
from ..extensions import studio
from ..storage import Storage


def owner_prefix(user_id: int | None, session_key: str | None) -> str:
    return f"u{user_id}" if user_id is not None else f"a{session_key}"


def store_inputs(storage: Storage, prefix: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Write prepared inputs through storage; return a JSON manifest for Job.inputs.

    Supported values: PIL images (PNG), bytes, numpy arrays (.npy without pickle) and JSON values.
    """
    manifest: dict[str, Any] = {}
    for name, value in inputs.items():
        key = f"{prefix}/{name}"
        if isinstance(value, PILImage.Image):
            buf = io.BytesIO()
            value.save(buf, format="PNG")
            storage.put(key + ".png", buf.getvalue())
            manifest[name] = {"kind": "image", "key": key + ".png"}
        elif isinstance(value, bytes | bytearray):
            storage.put(key + ".bin", bytes(value))
            manifest[name] = {"kind": "bytes", "key": key + ".bin"}
        elif isinstance(value, np.ndarray):
            buf = io.BytesIO()
            np.save(buf, value, allow_pickle=False)
            storage.put(key + ".npy", buf.getvalue())
            manifest[name] = {"kind": "array", "key": key + ".npy"}
        else:
            json.dumps(value)  # raises TypeError for values a runner could not hand on
            manifest[name] = {"kind": "json", "value": value}
    return manifest


def load_inputs(storage: Storage, manifest: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, entry in (manifest or {}).items():
        kind = entry.get("kind")
        if kind == "json":
            out[name] = entry["value"]
            continue
        try:
            data = storage.get(entry["key"])
        except FileNotFoundError:
            raise InputError("the uploaded input of this job is no longer stored") from None
        if kind == "image":
            with PILImage.open(io.BytesIO(data)) as im:
                out[name] = im.convert("RGB") if im.mode not in ("RGB", "RGBA", "L") else im.copy()
        elif kind == "array":
            out[name] = np.load(io.BytesIO(data), allow_pickle=False)
        else:
            out[name] = data
    return out


def delete_inputs(storage: Storage, manifest: dict[str, Any]) -> None:
    for entry in (manifest or {}).values():
        if "key" in entry:
            storage.delete(entry["key"])


def forget_inputs(job: Job) -> None:
    """Delete a job's stored uploads (private data) once nothing needs them: the job failed, or every image
    made from them was deleted. The caller commits."""
    if job.inputs:
        delete_inputs(studio().storage, job.inputs)
        job.inputs = {}
