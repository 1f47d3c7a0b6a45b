"""The face yardstick: FID, KID, precision and recall in the features of the face-attribute classifier,
against faces of held-out identities, beside a ladder (real, blur r = 1 and 2, 32 px and back), plus each
attribute's rate in generated versus real faces.

The held-out faces (identity-based validation split) are split in two fixed halves: A is the reference,
the ladder degrades B. Everything is measured at 64 px, the classifier's input size.

At 2× (`evaluate_2x`, `genstudio eval person --upsampler NAME`): a generator's faces up-sampled by the learned
up-sampler, and the same faces bicubic-up-sampled, against the sharp held-out photos at twice the generator's
resolution (128 px for a 64 px generator), beside a ladder at that size (real, the real photos at the generator's
size and back by bicubic and by the learned up-sampler, blur r = 1 and 2), in the features of a classifier that
reads that size (`face-judge`, 128 px input; `face-attributes`, 64 px, when it is not installed).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..classifier import DEFAULT_MODEL as ATTRIBUTES_MODEL
from ..classifier import load_classifier
from ..classifier.networks import AttributeClassifier
from ..data.celeba import load_celeba
from ..imaging import map_uint8, tensor_to_uint8, uint8_to_tensor
from ..metrics.distances import all_distances
from ..metrics.ladder import blur, down_up
from ..upsampler.networks import Upsampler
from ..weights import is_installed

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


# ---- at 2×: a generator + the learned up-sampler ----------------------------------------------------------

JUDGE = "face-judge"  # the 128 px attribute classifier (configs/classifier-judge-cpu.yaml)


def features_classifier(name: str = JUDGE) -> tuple[str, AttributeClassifier]:
    """(name, classifier) whose features measure faces at 2×: `name`, or face-attributes when it is missing."""
    chosen = name if is_installed(name) else ATTRIBUTES_MODEL
    return chosen, load_classifier(chosen)


def sharp_halves(data_root: str | Path, size: int, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The held-out identities' sharp photos (real detail at 128 px) at `size`, in fixed halves A and B."""
    val = load_celeba(data_root, size=size, split="val", sharp_only=True)
    order = np.random.default_rng(0).permutation(len(val.images))
    if limit:
        order = order[: 2 * limit]
    half = len(order) // 2
    return val.images[order[:half]], val.images[order[half:2 * half]]


def ladder_rows_2x(b: np.ndarray, up: Upsampler, up_name: str) -> dict[str, np.ndarray]:
    """The ladder at 2×: B, B area-down-sampled to half size (rounded to 8 bits, a real small photo) and back
    by bicubic and by the learned up-sampler, B blurred with r = 1 and 2."""
    from ..upsampler.networks import bicubic2x

    small = map_uint8(lambda x: F.avg_pool2d(x, 2), b, 50)
    half = small.shape[1]
    return {"real (other held-out faces)": b,
            f"real, {half} px and back (bicubic)": map_uint8(bicubic2x, small, 50),
            f"real, {half} px through {up_name}": map_uint8(up, small, 50),
            "real, blur r=1": blur(b, 1), "real, blur r=2": blur(b, 2)}


@torch.no_grad()
def generate_2x(generator: torch.nn.Module, up: Upsampler, n: int, truncation: float = 1.0
                ) -> tuple[np.ndarray, np.ndarray]:
    """n faces at fixed seeds, up-sampled (learned, bicubic) from the generator's output before it is rounded
    to 8 bits, as the person service's 2× does; with a zero residual the two are identical."""
    from ..upsampler.networks import bicubic2x
    from ..wgan.latent import z_for_seeds

    learned, bicubic = [], []
    for start in range(0, n, 50):
        x = generator(z_for_seeds(range(SEED + start, SEED + min(n, start + 50)), generator.z_dim, truncation))
        learned.append(tensor_to_uint8(up(x)))
        bicubic.append(tensor_to_uint8(bicubic2x(x)))
    return np.concatenate(learned), np.concatenate(bicubic)


def evaluate_2x(names: list[str], upsampler: str, data_root: str | Path, features: str = JUDGE,
                truncation: float = 1.0, limit: int | None = None, progress: Callable[[str], None] = print
                ) -> tuple[Rows, Rows, dict[str, object]]:
    """(rows, attribute rates, facts) at twice the generators' resolution: the ladder, then per generator
    "<name> + <upsampler>" and "<name> + bicubic", each against half A of the sharp held-out photos. facts
    names the features (model, checkpoint, input size), the size, the up-sampler's checkpoint and each
    generator's."""
    from ..upsampler.model import load_upsampler
    from ..wgan.model import load_generator

    up = load_upsampler(upsampler)
    generators = {name: load_generator(name)[:2] for name in names}
    sizes = {2 * int(g.resolution) for g, _ in generators.values()}
    if len(sizes) != 1:
        raise ValueError(f"the generators have different resolutions: {sorted(sizes)}")
    size = sizes.pop()
    clf_name, clf = features_classifier(features)
    if clf_name != features:
        progress(f"{features} is not installed: features of {clf_name} ({clf.image_size} px input) instead")
    a, b = sharp_halves(data_root, size, limit)
    ref_feats, ref_probs = features_and_probabilities(clf, a)
    idx = [clf.attributes.index(x) for x in RATE_ATTRIBUTES]
    rate = lambda probs: dict(zip(RATE_ATTRIBUTES, (probs[:, idx] > 0.5).mean(0).tolist(), strict=True))  # noqa: E731
    rows, rates = {}, {"real (held-out)": rate(ref_probs)}
    progress(f"ladder at {size} px ({len(b)} held-out photos) ...")
    candidates = ladder_rows_2x(b, up, upsampler)
    made = set()
    for name, (g, _) in generators.items():
        progress(f"sampling {len(a)} faces from {name}, up-sampled to {size} px ...")
        learned, bicubic = generate_2x(g, up, len(a), truncation)
        candidates[f"{name} + {upsampler}"], candidates[f"{name} + bicubic"] = learned, bicubic
        made |= {f"{name} + {upsampler}", f"{name} + bicubic"}
    for row, images in candidates.items():
        feats, probs = features_and_probabilities(clf, images)
        rows[row] = all_distances(ref_feats, feats)
        if row in made:
            rates[row] = rate(probs)
    facts = {"size": size, "features": clf_name, "features_checkpoint": getattr(clf, "checkpoint", ""),
             "features_input": clf.image_size, "upsampler": upsampler,
             "upsampler_checkpoint": getattr(up, "checkpoint", ""), "reference_images": len(a),
             "generators": {name: checkpoint for name, (_, checkpoint) in generators.items()}}
    return rows, rates, facts
