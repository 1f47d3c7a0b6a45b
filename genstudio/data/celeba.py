"""CelebA subset reader (../shared/datasets/celeba): images, the 40 attributes, identity-based splits."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .cache import load_resized

ATTRIBUTES = (
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs", "Big_Lips",
    "Big_Nose", "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows", "Chubby", "Double_Chin",
    "Eyeglasses", "Goatee", "Gray_Hair", "Heavy_Makeup", "High_Cheekbones", "Male", "Mouth_Slightly_Open",
    "Mustache", "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin", "Pointy_Nose", "Receding_Hairline",
    "Rosy_Cheeks", "Sideburns", "Smiling", "Straight_Hair", "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat",
    "Wearing_Lipstick", "Wearing_Necklace", "Wearing_Necktie", "Young",
)


@dataclass
class CelebA:
    """Images as uint8 [N, S, S, 3], attributes as float32 [N, len(attributes)] (1 present, 0 absent)."""

    images: np.ndarray
    labels: np.ndarray
    attributes: tuple[str, ...]
    files: list[str]
    identities: np.ndarray


def read_table(root: Path) -> tuple[list[str], dict[str, list[int]], dict[str, int]]:
    with open(root / "attributes.csv") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = {r[0]: [int(v) for v in r[1:]] for r in reader}
    files = sorted(rows)
    with open(root / "identities.csv") as fh:
        ids = {r["image"]: int(r["celeba_identity"]) for r in csv.DictReader(fh)}
    if tuple(header[1:]) != ATTRIBUTES:
        raise ValueError(f"{root}/attributes.csv has unexpected columns")
    return files, rows, ids


def is_validation_identity(identity: int, val_percent: int = 10) -> bool:
    """Identity-based split: the same person is never in both train and validation (30 photos each)."""
    return (identity * 2654435761 % 2**32) % 100 < val_percent


def load_celeba(
    data_root: str | Path,
    size: int = 64,
    split: str = "train",
    attributes: tuple[str, ...] = ATTRIBUTES,
    limit: int | None = None,
    val_percent: int = 10,
    sharp_only: bool = False,
) -> CelebA:
    """Load (and cache, resized) the CelebA subset; split is "train", "val" or "all". sharp_only keeps the
    photos that were down-sampled to 128 px (real detail at 128), not the soft ones up-sampled from 89 px."""
    root = Path(data_root) / "celeba"
    files, rows, ids = read_table(root)
    if sharp_only:
        with open(root / "sources.csv") as fh:
            sharp = {r["image"] for r in csv.DictReader(fh) if r["resample"] == "down"}
        files = [f for f in files if f in sharp]
    if split != "all":
        want_val = split == "val"
        files = [f for f in files if is_validation_identity(ids[f], val_percent) == want_val]
    if limit:
        files = files[:limit]
    columns = [ATTRIBUTES.index(a) for a in attributes]
    labels = np.array([[rows[f][c] for c in columns] for f in files], dtype=np.float32)
    images = load_resized([root / "images" / f for f in files], size, f"celeba-{split}{'-sharp' if sharp_only else ''}")
    return CelebA(images, labels, tuple(attributes), files, np.array([ids[f] for f in files]))
