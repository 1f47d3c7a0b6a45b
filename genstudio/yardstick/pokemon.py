"""The Pokémon yardstick: FID, KID, precision and recall in the features of `pokemon-features` (a luminance
species network that never saw the held-out species), against the art of those held-out species.

The held-out images are split in two fixed halves: A is the reference every row is measured against;
the ladder degrades B (blur, 32 px and back), so no row is compared with its own source images. The
"real (training species)" row is as many images of the species the feature network trained on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..classifier.networks import ShapeFeatures, embed_all
from ..data.pokemon import STYLES, TYPES, is_held_out_species, load_pokemon
from ..metrics.distances import all_distances
from ..metrics.ladder import ladder
from ..weights import load as load_weights
from ..weights import read_config

FEATURES = "pokemon-features"
SIZE = 64  # every row is measured at 64 px (the generators' native size; bigger outputs are resized)
SEED = 1234  # fixed: the same generated samples every time a model is measured


@dataclass
class Reference:
    features: ShapeFeatures
    checkpoint: str
    reference: np.ndarray  # features of held-out half A
    rows: dict[str, np.ndarray]  # ladder row -> uint8 images
    type_share: np.ndarray  # type1 frequencies of the whole art set (what generators are asked for)
    style_share: np.ndarray  # frequencies of STYLES in the art set (what a style-conditioned model is asked for)
    train_images: np.ndarray  # full art set at SIZE (for the memorisation check)
    held_out: np.ndarray  # half B of the held-out species (what the ladder degrades)


def load_features(name: str = FEATURES) -> tuple[ShapeFeatures, str]:
    loaded = load_weights(name, hint="genstudio train pokemon-features --config configs/pokemon-features-cpu.yaml")
    c = loaded.config
    model = ShapeFeatures(int(c["classes"]), int(c["width"]), int(c["image_size"]), float(c["dropout"]))
    model.load_state_dict(loaded.tensors)
    return model.eval().requires_grad_(False), loaded.checkpoint


def build_reference(data_root: str | Path, features: str = FEATURES) -> Reference:
    net, checkpoint = load_features(features)
    data = load_pokemon(data_root, size=SIZE, subset="art")
    held = np.array([is_held_out_species(d) for d in data.dex])
    held_idx = np.flatnonzero(held)
    rng = np.random.default_rng(0)
    half_a = np.zeros(len(data.dex), bool)
    half_a[held_idx[rng.permutation(len(held_idx))[: len(held_idx) // 2]]] = True
    a, b = data.images[half_a], data.images[held & ~half_a]
    train = data.images[~held]
    other = train[rng.choice(len(train), len(b), replace=False)]
    share = np.bincount(data.type1, minlength=len(TYPES)) / len(data.type1)
    styled = data.style[data.style >= 0]
    style_share = np.bincount(styled, minlength=len(STYLES)) / max(len(styled), 1)
    return Reference(net, checkpoint, embed_all(net, a), ladder(b, other), share, style_share, data.images, b)


def measure(ref: Reference, images: np.ndarray) -> dict[str, float]:
    """One yardstick row for uint8 images [N, H, W, 3] (any size: the network resizes to its own)."""
    return all_distances(ref.reference, embed_all(ref.features, images))


def ladder_table(ref: Reference) -> dict[str, dict[str, float]]:
    return {name: measure(ref, imgs) for name, imgs in ref.rows.items()}


def requested_types(ref: Reference, n: int) -> list[str]:
    """Types to ask a generator for, in the art set's proportions, in a fixed order."""
    rng = np.random.default_rng(SEED)
    return [TYPES[i] for i in rng.choice(len(TYPES), n, p=ref.type_share)]


SAMPLING = {"sampler": "dpm++", "steps": 10, "guidance": 3.0}  # the page's defaults (services/pokemon)


def requested_styles(ref: Reference, n: int) -> list[str]:
    """Art styles to ask a style-conditioned generator for, in the art set's proportions, in a fixed order."""
    rng = np.random.default_rng(SEED + 1)
    return [STYLES[i] for i in rng.choice(len(STYLES), n, p=ref.style_share)]


def generate(name: str, types: list[str], sampling: dict | None = None, styles: list[str] | None = None,
             seed: int = SEED) -> np.ndarray:
    """Samples of a shipped Pokémon model (any family), one per requested type, fixed seeds, at SIZE (batched
    by type; every image still has its own seed), with the page's default settings unless `sampling` says
    otherwise (scripts/pokemon_sampling_sweep.py measures the alternatives). A style-conditioned model is
    asked for `styles` (requested_styles: the art set's proportions), so it is measured against the same mix
    as the rest; other models ignore them. Image i has seed `seed + i`."""
    from ..services.pokemon.models import load_pokemon_model

    model = load_pokemon_model(name)
    styles = styles if styles and getattr(model, "styles", ()) else ["any"] * len(types)
    out: list[np.ndarray | None] = [None] * len(types)
    for t, style in sorted(set(zip(types, styles, strict=True))):
        idx = [i for i, key in enumerate(zip(types, styles, strict=True)) if key == (t, style)]
        options = {**(sampling or SAMPLING), **({"style": style} if style != "any" else {})}
        for start in range(0, len(idx), 32):
            chunk = idx[start:start + 32]
            images = model.generate(type_name=t, seeds=[seed + i for i in chunk], **options)
            for i, im in zip(chunk, images, strict=True):
                out[i] = np.asarray(im.convert("RGB").resize((SIZE, SIZE), Image.Resampling.LANCZOS))
    return np.stack(out)  # type: ignore[arg-type]


def reconstructions(ae_name: str, images: np.ndarray) -> np.ndarray:
    """Held-out images through a latent model's autoencoder: the best any sample decoded by it can look, so
    its row is that model's ceiling on the yardstick."""
    from ..diffusion.autoencoder import load_autoencoder
    from ..imaging import map_uint8

    ae, _ = load_autoencoder(ae_name)
    return map_uint8(ae, images)


def memorisation(ref: Reference, images: np.ndarray) -> float:
    """Median RMS pixel distance (0–1 units, 32 px) from each sample to its nearest training image."""
    from ..diffusion.metrics import as_vectors, nearest

    _, dist = nearest(as_vectors(images), as_vectors(ref.train_images))
    return float(np.median(dist))


def _short(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"


def format_table(rows: dict[str, dict[str, float]], highlight: str | None = None) -> str:
    lines = ["| row | FID ↓ | KID×1000 ↓ | precision ↑ | recall ↑ |", "|---|---|---|---|---|"]
    for name, r in rows.items():
        label = f"**{name}**" if name == highlight else name
        cells = [label, _short(r["fid"]), _short(r["kid"]), f"{r['precision']:.2f}", f"{r['recall']:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


@torch.no_grad()
def evaluate(names: list[str], data_root: str | Path, progress: Callable[[str], None] = print, seed: int = SEED
             ) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Ladder rows plus one row per model (in that order), and each model's memorisation distance. Another
    `seed` draws other samples of the same models (rows named "NAME (seed N)"): the spread between seeds is
    the noise any two checkpoints' difference has to beat."""
    ref = build_reference(data_root)
    rows = ladder_table(ref)
    types, styles = requested_types(ref, len(ref.reference)), requested_styles(ref, len(ref.reference))
    memo = {}
    for name in names:
        ae_name = read_config(name).get("autoencoder")
        if ae_name and f"{ae_name} reconstruction" not in rows:  # the ceiling of latent models
            rows[f"{ae_name} reconstruction"] = measure(ref, reconstructions(ae_name, ref.held_out))
        row = name if seed == SEED else f"{name} (seed {seed})"
        progress(f"sampling {len(types)} images from {row} ...")
        images = generate(name, types, styles=styles, seed=seed)
        rows[row] = measure(ref, images)
        memo[row] = memorisation(ref, images)
    return rows, memo
