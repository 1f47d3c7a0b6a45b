"""LatentMapTask: the 2-D VAE for the latent-map page (`genstudio train latentmap`).

Export also writes points.json: the 2-D coordinates of (a subset of) the training faces with their
attribute labels — numbers only, no images — so the page can colour the map by any attribute.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from accelerate import Accelerator
from PIL import Image

from ..data.celeba import load_celeba
from ..imaging import grid, to_pil, uint8_to_tensor
from ..training.loop import TrainConfig, TrainTask
from ..training.sections import as_dict
from ..weights import save as save_weights
from ..wgan.facts import training_facts
from .networks import MapAutoencoder

MAP_ATTRIBUTES = ("Male", "Smiling", "Young", "Eyeglasses", "Blond_Hair", "Black_Hair", "Brown_Hair",
                  "Gray_Hair", "Bald", "Bangs", "Heavy_Makeup", "Wearing_Hat", "Mustache", "No_Beard", "Pale_Skin")


def plane_grid(model: MapAutoencoder, extent: float = 2.5, n: int = 8) -> Image.Image:
    """Decode an n x n lattice over [-extent, extent]^2 (first two latent axes): the map, drawn by the model."""
    ticks = torch.linspace(-extent, extent, n)
    ys, xs = torch.meshgrid(-ticks, ticks, indexing="ij")  # top row = largest y, like the page
    z = torch.zeros(n * n, model.latent_dim)
    z[:, 0], z[:, 1] = xs.flatten(), ys.flatten()
    with torch.no_grad():
        return grid(to_pil(model.decode(z)), columns=n, pad=0)


@dataclass(frozen=True)
class MapModel:
    resolution: int = 64
    width: int = 24
    latent_dim: int = 2
    hidden: int = 256


@dataclass(frozen=True)
class MapOptim:
    kl_weight: float = 1.0


@dataclass(frozen=True)
class MapData:
    limit: int | None = None
    map_points: int = 4000  # faces placed on the shipped map (points.json)


class LatentMapTask(TrainTask):
    Model, Optim, Data = MapModel, MapOptim, MapData

    def __init__(self, cfg: TrainConfig, accelerator: Accelerator):
        super().__init__(cfg, accelerator)
        self.model_cfg = {"family": "latentmap", **as_dict(self.opts.model)}
        model = MapAutoencoder(**as_dict(self.opts.model))
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        model, opt = accelerator.prepare(model, opt)
        self.modules, self.optimizers = {"autoencoder": model}, {"autoencoder": opt}
        self.ema_modules = ["autoencoder"]
        self.kl_weight = self.opts.optim.kl_weight
        data = load_celeba(cfg.data_root, size=self.model_cfg["resolution"], split="train", limit=self.opts.data.limit)
        self.data = data
        self.rng = np.random.default_rng(cfg.seed)

    def batches(self) -> Iterator[torch.Tensor]:
        b = self.cfg.batch_size
        while True:
            idx = self.rng.integers(0, len(self.data.images), b)
            arr = self.data.images[idx].copy()
            flip = self.rng.random(b) < 0.5
            arr[flip] = arr[flip, :, ::-1]
            yield uint8_to_tensor(np.ascontiguousarray(arr)).to(self.device)

    def train_step(self, x: torch.Tensor, step: int) -> dict[str, float]:
        model, opt = self.modules["autoencoder"], self.optimizers["autoencoder"]
        recon, mu, logvar = model(x)
        rec = F.mse_loss(recon, x, reduction="sum") / x.shape[0]  # Gaussian decoder, per image
        kl = (-0.5 * (1 + logvar - mu.square() - logvar.exp()).sum(1)).mean()
        loss = rec + self.kl_weight * kl
        opt.zero_grad(set_to_none=True)
        self.accelerator.backward(loss)
        opt.step()
        return {"loss": loss.item(), "recon": rec.item(), "kl": kl.item()}

    def sample_grid(self, step: int) -> Image.Image:
        return plane_grid(self.sampling_module("autoencoder"))

    @torch.no_grad()
    def points(self, max_points: int) -> dict[str, Any]:
        model = self.sampling_module("autoencoder")
        n = len(self.data.images)
        idx = np.sort(np.random.default_rng(0).choice(n, min(n, max_points), replace=False))
        mus = []
        for i in range(0, len(idx), 256):
            mus.append(model.encode(uint8_to_tensor(self.data.images[idx[i:i + 256]]).to(self.device))[0].cpu())
        mu = torch.cat(mus).numpy()
        lo, hi = np.percentile(mu[:, :2], 1, axis=0), np.percentile(mu[:, :2], 99, axis=0)
        pad = 0.15 * (hi - lo)
        columns = {a: self.data.attributes.index(a) for a in MAP_ATTRIBUTES}
        return {
            "x": [round(float(v), 3) for v in mu[:, 0]],
            "y": [round(float(v), 3) for v in mu[:, 1]],
            "labels": {a: "".join("1" if v else "0" for v in self.data.labels[idx, c]) for a, c in columns.items()},
            "extent": [float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1])],
            "source": "CelebA subset, identity-based train split (coordinates and labels only)",
        }

    def export(self, folder: Path, step: int) -> dict[str, Any]:
        facts = training_facts(self.cfg, step, kl_weight=self.kl_weight)
        save_weights(folder, self.sampling_module("autoencoder").state_dict(), {**self.model_cfg, "training": facts})
        (folder / "points.json").write_text(json.dumps(self.points(self.opts.data.map_points)))
        return facts
