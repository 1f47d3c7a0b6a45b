"""ShapeFeaturesTask (`genstudio train pokemon-features`): the feature network behind the Pokémon yardstick.

A luminance-only CNN learns to tell the training species apart (plus their first type) under flips,
rotations, zoom and brightness/contrast jitter, so its features encode silhouette and inner structure.
Held-out species are never seen; how well the features generalise is measured on them as retrieval:
the share of held-out images whose nearest neighbour (in feature space) is another picture of the same
species (usually in another art style).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from accelerate import Accelerator
from PIL import Image, ImageDraw

from ..data.pokemon import is_held_out_species, load_pokemon
from ..diffusion.augment import Augment
from ..imaging import uint8_to_tensor
from ..training.loop import TrainConfig, TrainTask
from ..weights import save as save_weights
from ..wgan.facts import training_facts
from .networks import ShapeFeatures, embed_all


def jitter_luminance(x: torch.Tensor, contrast: float, brightness: float, generator: torch.Generator) -> torch.Tensor:
    """Random contrast (around mid-grey) and brightness per image, so features cannot lean on tone."""
    n = x.shape[0]
    c = 1 + (torch.rand(n, 1, 1, 1, generator=generator) * 2 - 1) * contrast
    b = (torch.rand(n, 1, 1, 1, generator=generator) * 2 - 1) * brightness
    return (x * c + b).clamp(-1, 1)


def retrieval_accuracy(features: np.ndarray, labels: np.ndarray) -> float:
    """Share of images (of species with 2+ images) whose nearest other image is of the same species."""
    f = features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-8)
    sim = f @ f.T
    np.fill_diagonal(sim, -np.inf)
    counts = {v: int((labels == v).sum()) for v in np.unique(labels)}
    keep = np.array([counts[v] > 1 for v in labels])
    return float((labels[sim.argmax(1)] == labels)[keep].mean())


@dataclass(frozen=True)
class ShapeModel:
    width: int = 32
    image_size: int = 64
    dropout: float = 0.3


@dataclass(frozen=True)
class ShapeOptim:
    weight_decay: float = 5e-4
    warmup: int = 200
    label_smoothing: float = 0.1


@dataclass(frozen=True)
class ShapeData:
    contrast: float = 0.4  # luminance contrast jitter, ± fraction
    brightness: float = 0.3  # luminance offset jitter, ± (in [-1, 1] units)
    augment: dict = field(default_factory=lambda: {"rotate": 20, "scale": 0.15, "translate": 0.08})


class ShapeFeaturesTask(TrainTask):
    Model, Optim, Data = ShapeModel, ShapeOptim, ShapeData

    def __init__(self, cfg: TrainConfig, accelerator: Accelerator):
        super().__init__(cfg, accelerator)
        m, o, d = self.opts.model, self.opts.optim, self.opts.data
        size = m.image_size
        data = load_pokemon(cfg.data_root, size=size, subset="art")
        held = np.array([is_held_out_species(d) for d in data.dex])
        species = sorted(set(data.dex[~held].tolist()))
        index = {d: i for i, d in enumerate(species)}
        self.images = data.images[~held]
        self.labels = np.array([index[d] for d in data.dex[~held]], dtype=np.int64)
        self.types = data.type1[~held]
        self.val_images, self.val_dex = data.images[held], data.dex[held]
        self.model_cfg = {"family": "pokemon-features", "classes": len(species), "width": m.width,
                          "image_size": size, "dropout": m.dropout, "held_out_percent": 20}
        model = ShapeFeatures(len(species), self.model_cfg["width"], size, self.model_cfg["dropout"])
        opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=o.weight_decay)
        warmup = o.warmup
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min(1.0, (s + 1) / warmup) * max(0.05, 1 - s / max(1, cfg.steps)))
        model, opt, sched = accelerator.prepare(model, opt, sched)
        self.modules, self.optimizers, self.schedulers = {"features": model}, {"features": opt}, {"features": sched}
        self.augment = Augment.from_config(d.augment)
        self.contrast, self.brightness = d.contrast, d.brightness
        self.label_smoothing = o.label_smoothing
        self.rng = np.random.default_rng(cfg.seed)
        self.generator = torch.Generator().manual_seed(cfg.seed)
        self._metrics: dict[str, Any] | None = None

    def batches(self) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        b = self.cfg.batch_size
        while True:
            order = self.rng.permutation(len(self.images))
            for i in range(0, len(order) - b + 1, b):
                idx = order[i:i + b]
                x = self.augment(uint8_to_tensor(self.images[idx]), self.generator)
                x = jitter_luminance(ShapeFeatures.luminance(x), self.contrast, self.brightness, self.generator)
                yield x.to(self.device), torch.from_numpy(self.labels[idx]), torch.from_numpy(self.types[idx])

    def train_step(self, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor], step: int) -> dict[str, float]:
        x, y, t = batch
        model, opt = self.modules["features"], self.optimizers["features"]
        species_logits, type_logits = model(x)
        loss = (F.cross_entropy(species_logits, y, label_smoothing=self.label_smoothing)
                + 0.5 * F.cross_entropy(type_logits, t))
        opt.zero_grad(set_to_none=True)
        self.accelerator.backward(loss)
        opt.step()
        self.schedulers["features"].step()
        self._metrics = None
        return {"loss": loss.item(), "acc": (species_logits.argmax(1) == y).float().mean().item()}

    def metrics(self) -> dict[str, Any]:
        if self._metrics is None:
            model = self.sampling_module("features")
            self._metrics = {
                "held_out_images": int(len(self.val_images)),
                "held_out_species": int(len(np.unique(self.val_dex))),
                "held_out_retrieval": retrieval_accuracy(embed_all(model, self.val_images), self.val_dex),
            }
        return self._metrics

    def sample_grid(self, step: int) -> Image.Image:
        """A text card (the task has no images of its own to show, and dataset images are not shipped)."""
        im = Image.new("RGB", (420, 60), "white")
        m = self.metrics()
        ImageDraw.Draw(im).text((8, 8), f"step {step}: held-out species retrieval {m['held_out_retrieval']:.3f}\n"
                                f"({m['held_out_images']} images of {m['held_out_species']} unseen species)",
                                fill="black")
        return im

    def export(self, folder: Path, step: int) -> dict[str, Any]:
        facts = training_facts(self.cfg, step, validation=self.metrics())
        save_weights(folder, self.sampling_module("features").state_dict(), {**self.model_cfg, "training": facts})
        return facts
