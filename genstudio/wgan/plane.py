"""A 2-D map of faces where every point is a sharp face (issue #13): the original's lesson was that a 2-D
autoencoder decodes its plane into blurry averages. Here the plane is only a *layout*: thousands of generated
faces are placed by their attributes (PCA of the face classifier's logits, so faces that share attributes
sit together), and a point decodes through the GAN itself — its z is a spherical, inverse-distance blend of
the nearest faces' z, rescaled to a typical norm, so the generator always receives a z like those it was
trained on (sharp), and nearby points give related faces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch


@dataclass
class FacePlane:
    """coords [N, 2] in [-1, 1]; z [N, z_dim]; labels {attribute: "0110…"} (one character per face) for
    colouring the map."""

    coords: torch.Tensor
    z: torch.Tensor
    labels: dict[str, str]

    def z_at(self, points: torch.Tensor, k: int = 6, power: float = 2.0) -> torch.Tensor:
        """[M, 2] plane points -> [M, z_dim]: the blend of the k nearest faces' z (weights 1 / distance^power),
        rescaled to the samples' mean norm. A point on a face returns (almost exactly) that face's z."""
        d = torch.cdist(points.float(), self.coords.float())  # [M, N]
        dist, idx = d.topk(min(k, len(self.coords)), largest=False)
        w = 1.0 / (dist + 1e-6) ** power
        w = w / w.sum(1, keepdim=True)
        z = (w.unsqueeze(-1) * self.z[idx]).sum(1)
        typical = self.z.norm(dim=1).mean()
        return z / z.norm(dim=1, keepdim=True).clamp_min(1e-8) * typical


def layout(logits: torch.Tensor) -> torch.Tensor:
    """[N, A] attribute logits -> [N, 2] coordinates in [-1, 1]: the two principal components of the
    standardised logits, each scaled so its 1st–99th percentile spans the square."""
    x = (logits - logits.mean(0)) / logits.std(0).clamp_min(1e-6)
    _, _, v = torch.pca_lowrank(x, q=2, center=False)
    xy = x @ v[:, :2]
    lo, hi = torch.quantile(xy, 0.01, dim=0), torch.quantile(xy, 0.99, dim=0)
    return ((xy - lo) / (hi - lo).clamp_min(1e-6) * 2 - 1).clamp(-1, 1)


LAYOUT_ATTRIBUTES = ("Male", "Young", "Smiling", "Blond_Hair", "Black_Hair", "Brown_Hair", "Gray_Hair",
                     "Eyeglasses", "Heavy_Makeup", "Bangs", "Bald", "Pale_Skin")


@torch.no_grad()
def fit_plane(z: torch.Tensor, logits: torch.Tensor, classifier_attributes: Sequence[str],
              layout_attributes: Sequence[str] = LAYOUT_ATTRIBUTES) -> FacePlane:
    """The plane of labelled samples (z and the classifier's logits for them, e.g. from
    genstudio.wgan.directions.label_samples), laid out by `layout_attributes`, which it also keeps as labels."""
    names = list(classifier_attributes)
    columns = [names.index(a) for a in layout_attributes]
    coords = layout(logits[:, columns])
    labels = {a: "".join("1" if v else "0" for v in (logits[:, names.index(a)] > 0).tolist())
              for a in layout_attributes}
    return FacePlane(coords, z, labels)


def save_plane(folder, plane: FacePlane, generator: str, checkpoint: str) -> None:
    """weights/<name>/: the faces' z and coordinates (tensors) and their labels (config.json)."""
    from ..weights import save

    save(folder, {"z": plane.z, "coords": plane.coords},
         {"family": "person-plane", "generator": generator, "generator_checkpoint": checkpoint,
          "labels": plane.labels, "faces": len(plane.z)}, half=False)


def load_plane(name: str) -> tuple[FacePlane, dict]:
    """The plane saved under weights/<name>/ and its config (which generator it was fitted on)."""
    from ..weights import load

    loaded = load(name, hint="fit it with: python scripts/person_plane.py")
    config = loaded.config
    return FacePlane(loaded.tensors["coords"].float(), loaded.tensors["z"].float(), config["labels"]), config
