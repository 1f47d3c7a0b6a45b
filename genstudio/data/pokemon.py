"""Pokémon artwork reader (../shared/datasets/pokemon): images on white, the 18 elemental types, species."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .cache import load_resized

TYPES = (
    "normal", "fire", "water", "grass", "electric", "ice", "fighting", "poison", "ground",
    "flying", "psychic", "bug", "rock", "ghost", "dragon", "dark", "steel", "fairy",
)
"""The 18 types in the games' canonical order; class index i is TYPES[i], index len(TYPES) means "any"."""

ANY = len(TYPES)

STYLES = ("official", "home", "dreamworld")
"""The art subset's three styles (labels.csv `source`): Sugimori's painted official art, the 3-D renders of
Pokémon HOME, and Dream World's flat vector art. A model conditioned on them need not average the three."""


@dataclass
class PokemonData:
    """Images as uint8 [N, S, S, 3]; type1/type2 as class indices [N] (type2 is -1 when a creature has one type)."""

    images: np.ndarray
    type1: np.ndarray
    type2: np.ndarray
    species: list[str]
    files: list[str]
    dex: np.ndarray  # National Pokédex number [N]: one per species, shared by its forms and art styles
    style: np.ndarray  # index into STYLES [N], -1 for a source outside them (the pixel-art sprites)


def type_index(name: str) -> int:
    """Class index of a type name, or ANY for "any"; ValueError for anything else."""
    if name == "any":
        return ANY
    return TYPES.index(name)


def read_labels(root: Path, subset: str = "art") -> list[dict[str, str]]:
    """Rows of labels.csv for a subset ("art", "sprites" or "all"), in file order."""
    with open(root / "labels.csv") as fh:
        rows = list(csv.DictReader(fh))
    if subset != "all":
        rows = [r for r in rows if r["subset"] == subset]
    return sorted(rows, key=lambda r: r["file"])


def load_pokemon(data_root: str | Path, size: int = 64, subset: str = "art", limit: int | None = None) -> PokemonData:
    """Load (and cache, resized with an area filter) the Pokémon artwork with its type labels."""
    root = Path(data_root) / "pokemon"
    if not (root / "labels.csv").is_file():
        raise FileNotFoundError(f"no Pokémon dataset at {root} (expected labels.csv; see its README)")
    rows = read_labels(root, subset)
    if limit:
        rows = rows[:limit]
    images = load_resized([root / r["file"] for r in rows], size, f"pokemon-{subset}")
    type1 = np.array([TYPES.index(r["type1"]) for r in rows], dtype=np.int64)
    type2 = np.array([TYPES.index(r["type2"]) if r["type2"] else -1 for r in rows], dtype=np.int64)
    dex = np.array([int(r["pokedex_id"]) for r in rows], dtype=np.int64)
    style = np.array([STYLES.index(r["source"]) if r["source"] in STYLES else -1 for r in rows], dtype=np.int64)
    return PokemonData(images, type1, type2, [r["species"] for r in rows], [r["file"] for r in rows], dex, style)


def is_held_out_species(dex: int, percent: int = 20) -> bool:
    """Species-based split for the yardstick's feature network: a held-out species is never seen in its
    training (a fixed hash of the Pokédex number, so every run and machine agrees)."""
    return (int(dex) * 2654435761 % 2**32) % 100 < percent
