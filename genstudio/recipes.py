"""Recipes in PNG text chunks: the image file itself says how to make it again.

Two tEXt chunks: `genstudio` holds the recipe as JSON (machine-readable, what "make again" uses) and
`parameters` a one-line human summary (what other PNG-info readers show). No timestamps or ids go in, so
the same recipe gives byte-identical files.
"""

from __future__ import annotations

import io
import json
from typing import Any

from PIL import Image, PngImagePlugin

RECIPE_KEY = "genstudio"
SUMMARY_KEY = "parameters"


def make_recipe(service: str, model: str, checkpoint: str, params: dict[str, Any], index: int,
                extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "service": service,
        "model": model,
        "checkpoint": checkpoint,
        "params": params,
        "index": index,
        "extra": dict(extra or {}),
    }


def summary(recipe: dict[str, Any]) -> str:
    params = ", ".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in recipe.get("params", {}).items())
    head = f"{recipe.get('service')} / {recipe.get('model')} @ {recipe.get('checkpoint')}"
    tail = f", index: {recipe.get('index', 0)}"
    if recipe.get("extra"):
        tail += ", " + ", ".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in recipe["extra"].items())
    return f"{head}; {params}{tail}"


def encode_png(image: Image.Image, recipe: dict[str, Any]) -> bytes:
    """PNG bytes with the recipe chunks. Deterministic for the same pixels and recipe."""
    info = PngImagePlugin.PngInfo()
    info.add_text(RECIPE_KEY, json.dumps(recipe, sort_keys=True, ensure_ascii=False), zip=False)
    info.add_text(SUMMARY_KEY, summary(recipe))
    buf = io.BytesIO()
    image = image if image.mode in ("RGB", "RGBA", "L") else image.convert("RGB")
    image.save(buf, format="PNG", pnginfo=info, optimize=False)
    return buf.getvalue()


def read_recipe(data: bytes) -> dict[str, Any] | None:
    """The recipe stored in PNG bytes, or None if there is none."""
    with Image.open(io.BytesIO(data)) as im:
        text = getattr(im, "text", {}).get(RECIPE_KEY)
    return json.loads(text) if text else None


def encode_preview(image: Image.Image, max_side: int = 256) -> bytes:
    """A small PNG of a running job's latest preview."""
    im = image.convert("RGB")
    if max(im.size) > max_side:
        im.thumbnail((max_side, max_side))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()
