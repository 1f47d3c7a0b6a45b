"""InterFaceGAN-style attribute directions: sample many z, label the generated faces with the attribute
classifier, fit a linear boundary per attribute (logistic regression, in torch), keep its unit normal.

Also finds the original project's arithmetic demo automatically: seeds the classifier is confident show
a man with glasses, a man without, and a woman without.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from .latent import z_for_seeds

DIRECTION_ATTRIBUTES = ("Smiling", "Male", "Eyeglasses", "Young", "Blond_Hair", "Black_Hair", "Brown_Hair",
                        "Gray_Hair", "Bald", "Bangs", "Heavy_Makeup", "Mustache", "No_Beard", "Wearing_Lipstick",
                        "Mouth_Slightly_Open", "Pale_Skin", "Wearing_Hat")


@torch.no_grad()
def label_samples(generator: nn.Module, classifier: nn.Module, seeds: Sequence[int], batch: int = 256,
                  progress: Callable[[float], None] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(z [N, z_dim], classifier logits [N, A]) for the given seeds at truncation 1."""
    zs, logits = [], []
    z_dim = generator.z_dim
    for i in range(0, len(seeds), batch):
        z = z_for_seeds(seeds[i:i + batch], z_dim)
        zs.append(z)
        logits.append(classifier(generator(z)))
        if progress:
            progress(min(1.0, (i + batch) / len(seeds)))
    return torch.cat(zs), torch.cat(logits)


def fit_boundary(z: torch.Tensor, y: torch.Tensor, steps: int = 300, weight_decay: float = 1e-3,
                 ) -> tuple[torch.Tensor, float]:
    """Class-balanced logistic regression y ~ sigmoid(w.z + b) fitted with LBFGS; returns (unit w,
    held-out accuracy on the last 20% of the samples)."""
    n = len(z)
    split = int(n * 0.8)
    w = torch.zeros(z.shape[1], requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    zt, yt = z[:split], y[:split].float()
    pos = yt.mean().clamp(1e-3, 1 - 1e-3)
    sample_w = torch.where(yt > 0.5, 0.5 / pos, 0.5 / (1 - pos))
    opt = torch.optim.LBFGS([w, b], lr=1, max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        logits = zt @ w + b
        loss = (nn.functional.binary_cross_entropy_with_logits(logits, yt, reduction="none") * sample_w).mean()
        loss = loss + weight_decay * w.square().sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        zv, yv = z[split:], y[split:].float()
        if len(zv):
            pred = ((zv @ w + b) > 0).float()
            # balanced accuracy, so a rare attribute cannot look good by answering "no"
            acc_pos = (pred[yv > 0.5] == 1).float().mean() if (yv > 0.5).any() else torch.tensor(float("nan"))
            acc_neg = (pred[yv <= 0.5] == 0).float().mean() if (yv <= 0.5).any() else torch.tensor(float("nan"))
            accuracy = float(torch.nanmean(torch.stack([acc_pos, acc_neg])))
        else:
            accuracy = float("nan")
    direction = w.detach()
    return direction / direction.norm().clamp_min(1e-8), accuracy


def fit_directions(z: torch.Tensor, logits: torch.Tensor, attributes: Sequence[str],
                   wanted: Sequence[str] = DIRECTION_ATTRIBUTES, min_positive: int = 20,
                   method: str = "logistic", rule: str = "rank", ratio: float = 0.15,
                   ) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """One unit direction per wanted attribute; plus fit statistics.

    method: "logistic" (InterFaceGAN's linear boundary) or "mean" (difference of class means).
    rule: "rank" labels the top `ratio` of samples by classifier score positive and the bottom `ratio`
    negative, dropping the ambiguous middle (InterFaceGAN's choice; robust when the classifier's absolute
    calibration is off on generated faces); "threshold" uses logit > 0 for every sample.
    """
    vectors: dict[str, torch.Tensor] = {}
    stats: dict[str, Any] = {}
    for name in wanted:
        if name not in attributes:
            continue
        score = logits[:, list(attributes).index(name)]
        entry: dict[str, Any] = {"present_rate": round(float((score > 0).float().mean()), 4), "samples": len(score)}
        if rule == "rank":
            order = torch.argsort(score)
            k = max(1, int(len(score) * ratio))
            keep = torch.cat([order[:k], order[-k:]])
            keep = keep[torch.randperm(len(keep), generator=torch.Generator().manual_seed(0))]
            zs, y = z[keep], (score[keep] >= score[order[-k]]).float()
        else:
            zs, y = z, (score > 0).float()
        positives = int(y.sum())
        entry["positives"] = positives
        entry["fit_samples"] = len(y)
        if positives < min_positive or len(y) - positives < min_positive:
            entry["skipped"] = "too few positive or negative samples"
            stats[name] = entry
            continue
        if method == "mean":
            d = zs[y > 0.5].mean(0) - zs[y <= 0.5].mean(0)
            d = d / d.norm().clamp_min(1e-8)
            split = int(len(y) * 0.8)
            proj = zs[split:] @ d
            acc = float(((proj > proj.median()).float() == y[split:]).float().mean())
        else:
            d, acc = fit_boundary(zs, y)
        # how strongly the classifier's logit follows the direction over all samples: slope of logit on z.d
        proj = z @ d
        slope = float(((proj - proj.mean()) * (score - score.mean())).sum() / (proj - proj.mean()).square().sum())
        entry.update({"boundary_accuracy": round(acc, 4), "logit_slope": float(f"{slope:.4g}")})
        vectors[name], stats[name] = d, entry
    return vectors, stats


def direction_correlations(vectors: dict[str, torch.Tensor]) -> dict[str, dict[str, float]]:
    names = list(vectors)
    return {a: {b: round(float(vectors[a] @ vectors[b]), 3) for b in names if b != a} for a in names}


def find_glasses_demo(seeds: Sequence[int], logits: torch.Tensor, attributes: Sequence[str], per_group: int = 3,
                      ) -> dict[str, Any]:
    """The original's demo, found from classifier labels: the seeds most confidently showing
    a man with glasses, a man without glasses and a woman without glasses (per_group of each)."""
    def standard(name: str) -> torch.Tensor:  # z-scores: robust to the classifier's calibration on fakes
        v = logits[:, list(attributes).index(name)]
        return (v - v.mean()) / v.std().clamp_min(1e-8)

    male, glasses = standard("Male"), standard("Eyeglasses")
    groups = {
        "man_with_glasses": torch.minimum(male, glasses),
        "man_without_glasses": torch.minimum(male, -glasses),
        "woman_without_glasses": torch.minimum(-male, -glasses),
    }
    out: dict[str, Any] = {}
    for key, confidence in groups.items():
        top = torch.topk(confidence, per_group).indices
        out[key] = [int(seeds[i]) for i in top]
        out[key + "_confidence"] = [round(float(confidence[i]), 3) for i in top]
    out["plus"] = out["man_with_glasses"] + out["woman_without_glasses"]
    out["minus"] = out["man_without_glasses"]
    return out
