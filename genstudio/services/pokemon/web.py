"""The Random Pokémon page: the generic form with a coloured type picker, sampler-aware fields and the live
denoising preview (templates/pokemon/page.html, static/pokemon.js)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from ...web.service_pages import render_service_page
from . import SERVICE

bp = Blueprint(SERVICE.name, __name__, template_folder="templates", static_folder="static", static_url_path="/static")

# Type colours from the games' UI, used by the page's type picker.
TYPE_COLOURS = {
    "normal": "#A8A77A", "fire": "#EE8130", "water": "#6390F0", "grass": "#7AC74C", "electric": "#F7D02C",
    "ice": "#96D9D6", "fighting": "#C22E28", "poison": "#A33EA1", "ground": "#E2BF65", "flying": "#A98FF3",
    "psychic": "#F95587", "bug": "#A6B91A", "rock": "#B6A136", "ghost": "#735797", "dragon": "#6F35FC",
    "dark": "#705746", "steel": "#B7B7CE", "fairy": "#D685AD", "any": "#6C757D",
}


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a #rrggbb colour."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def chip_ink(colour: str) -> str:
    """White or near-black text, whichever reads better on a type chip (light types: Electric, Ice, ...)."""
    return max(("#ffffff", "#212529"), key=lambda ink: contrast(colour, ink))


@bp.get("/")
def page():
    return render_service_page(SERVICE, "pokemon/page.html")


@bp.context_processor
def type_colours() -> dict[str, Any]:
    return {"type_chips": [(name, colour, chip_ink(colour)) for name, colour in TYPE_COLOURS.items()]}
