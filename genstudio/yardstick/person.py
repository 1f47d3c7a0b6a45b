"""The face yardstick: FID, KID, precision and recall in the features of the face-attribute classifier,
against faces of held-out identities, beside a ladder (real, blur r = 1 and 2, 32 px and back), plus each
attribute's rate in generated versus real faces.

The held-out faces (identity-based validation split) are split in two fixed halves: A is the reference,
the ladder degrades B. Everything is measured at 64 px, the classifier's input size.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..classifier import load_classifier
from ..classifier.networks import AttributeClassifier
from ..data.celeba import load_celeba
from ..imaging import uint8_to_tensor
from ..metrics.distances import all_distances
from ..metrics.ladder import blur, down_up

SIZE = 64
SEED = 4321
RATE_ATTRIBUTES = ("Male", "Young", "Smiling", "Eyeglasses", "Blond_Hair", "Black_Hair", "Heavy_Makeup")


@torch.no_grad()
def features_and_probabilities(clf: AttributeClassifier, images: np.ndarray, batch: int = 200
                               ) -> tuple[np.ndarray, np.ndarray]:
    """Pooled last-layer features [N, D] and attribute probabilities [N, 40] of uint8 faces."""
    feats, probs = [], []
    for i in range(0, len(images), batch):
        x = uint8_to_tensor(images[i:i + batch])
        if x.shape[-1] != clf.image_size:
            x = F.interpolate(x, size=(clf.image_size, clf.image_size), mode="bilinear", antialias=True,
                              align_corners=False)
        f = clf.features(x)
        feats.append(f.mean((2, 3)).numpy())
        probs.append(torch.sigmoid(clf.head(F.adaptive_avg_pool2d(f, 4))).numpy())
    return np.concatenate(feats), np.concatenate(probs)


def reference_halves(data_root: str | Path, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Held-out identities' faces at SIZE, split into fixed halves A (reference) and B (ladder source)."""
    val = load_celeba(data_root, size=SIZE, split="val")
    order = np.random.default_rng(0).permutation(len(val.images))
    if limit:
        order = order[: 2 * limit]
    half = len(order) // 2
    return val.images[order[:half]], val.images[order[half:2 * half]]


def ladder_rows(b: np.ndarray) -> dict[str, np.ndarray]:
    return {"real (other held-out faces)": b, "real, blur r=1": blur(b, 1), "real, blur r=2": blur(b, 2),
            "real, 32 px and back": down_up(b, 32)}


def generate(name: str, n: int, truncation: float = 1.0) -> np.ndarray:
    """n faces of a shipped person generator at fixed seeds, resized (area or bicubic) to SIZE."""
    from PIL import Image

    from ..imaging import to_pil
    from ..wgan.latent import z_for_seeds
    from ..wgan.model import load_generator

    g, _, _ = load_generator(name)
    out = []
    for start in range(0, n, 100):
        seeds = range(SEED + start, SEED + min(n, start + 100))
        for im in to_pil(g(z_for_seeds(seeds, g.z_dim, truncation))):
            resample = Image.Resampling.BOX if im.width > SIZE else Image.Resampling.BICUBIC
            out.append(np.asarray(im.resize((SIZE, SIZE), resample)))
    return np.stack(out)


Rows = dict[str, dict[str, float]]


@torch.no_grad()
def evaluate(names: list[str], data_root: str | Path, truncation: float = 1.0, limit: int | None = None,
             progress: Callable[[str], None] = print) -> tuple[Rows, Rows]:
    """(yardstick rows, attribute rates): the ladder, then one row per model, each against half A."""
    clf = load_classifier()
    a, b = reference_halves(data_root, limit)
    ref_feats, ref_probs = features_and_probabilities(clf, a)
    idx = [clf.attributes.index(x) for x in RATE_ATTRIBUTES]
    rows, rates = {}, {"real (held-out)": dict(zip(RATE_ATTRIBUTES, (ref_probs[:, idx] > 0.5).mean(0).tolist(),
                                                   strict=True))}
    candidates = ladder_rows(b)
    for name in names:
        progress(f"sampling {len(a)} faces from {name} ...")
        candidates[name] = generate(name, len(a), truncation)
    for row, images in candidates.items():
        feats, probs = features_and_probabilities(clf, images)
        rows[row] = all_distances(ref_feats, feats)
        if row in names:
            rates[row] = dict(zip(RATE_ATTRIBUTES, (probs[:, idx] > 0.5).mean(0).tolist(), strict=True))
    return rows, rates


def format_rates(rates: dict[str, dict[str, float]]) -> str:
    lines = ["| faces | " + " | ".join(RATE_ATTRIBUTES) + " |", "|---" * (len(RATE_ATTRIBUTES) + 1) + "|"]
    for name, r in rates.items():
        lines.append(f"| {name} | " + " | ".join(f"{r[a]:.2f}" for a in RATE_ATTRIBUTES) + " |")
    return "\n".join(lines)
