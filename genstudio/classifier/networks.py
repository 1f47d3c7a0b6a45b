"""A small CNN for the 40 CelebA attributes: cheap enough to train in minutes on a CPU core and to run
inside other models' loops (labelling thousands of generated faces, scoring StarGAN edits)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..data.celeba import ATTRIBUTES
from ..imaging import uint8_to_tensor


def _block(cin: int, cout: int, stride: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)]


class AttributeClassifier(nn.Module):
    """[-1, 1] RGB faces [N, 3, H, W] -> one logit per attribute [N, len(attributes)].

    Inputs of another size are resized to `image_size` first, so callers at 64 or 128 px can use it as is.
    """

    def __init__(self, attributes: tuple[str, ...] = ATTRIBUTES, width: int = 32, image_size: int = 64,
                 dropout: float = 0.2):
        super().__init__()
        self.attributes = tuple(attributes)
        self.image_size = image_size
        w = width
        self.features = nn.Sequential(
            *_block(3, w, 2), *_block(w, 2 * w, 2), *_block(2 * w, 2 * w, 1),
            *_block(2 * w, 4 * w, 2), *_block(4 * w, 4 * w, 1), *_block(4 * w, 8 * w, 2),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(8 * w * 16, len(self.attributes)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.image_size or x.shape[-2] != self.image_size:
            x = F.interpolate(x, size=(self.image_size, self.image_size), mode="bilinear", antialias=True,
                              align_corners=False)
        f = self.features(x)
        f = F.adaptive_avg_pool2d(f, 4)
        return self.head(f)

    def index(self, attribute: str) -> int:
        return self.attributes.index(attribute)

    @torch.no_grad()
    def probabilities(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """{attribute: P(present)} per image, for code that wants names rather than columns."""
        p = torch.sigmoid(self(x))
        return {a: p[:, i] for i, a in enumerate(self.attributes)}


class ShapeFeatures(nn.Module):
    """Luminance-only image embedding, trained to tell species apart: its features see silhouette and inner
    structure, not the palette, so a yardstick built on it scores a colour blob as far from a creature.

    [-1, 1] RGB images [N, 3, H, W] (any size; resized to `image_size`) -> features [N, 8 * width] with
    `embed`, or species logits with `forward`.
    """

    def __init__(self, classes: int, width: int = 32, image_size: int = 64, dropout: float = 0.3,
                 types: int = 18):
        super().__init__()
        self.image_size = image_size
        w = width
        self.features = nn.Sequential(
            *_block(1, w, 1), *_block(w, 2 * w, 2), *_block(2 * w, 2 * w, 1),
            *_block(2 * w, 4 * w, 2), *_block(4 * w, 4 * w, 1), *_block(4 * w, 8 * w, 2), *_block(8 * w, 8 * w, 1),
        )
        self.dropout = nn.Dropout(dropout)
        self.species = nn.Linear(8 * w, classes)
        self.types = nn.Linear(8 * w, types)

    @staticmethod
    def luminance(x: torch.Tensor) -> torch.Tensor:
        """[N, 3, H, W] RGB -> [N, 1, H, W] luma (Rec. 601 weights), same [-1, 1] range."""
        return (0.299 * x[:, :1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]) if x.shape[1] == 3 else x

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        x = self.luminance(x)
        if x.shape[-1] != self.image_size or x.shape[-2] != self.image_size:
            x = F.interpolate(x, size=(self.image_size, self.image_size), mode="bilinear", antialias=True,
                              align_corners=False)
        return self.features(x).mean((2, 3))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.dropout(self.embed(x))
        return self.species(f), self.types(f)


@torch.no_grad()
def embed_all(model: ShapeFeatures, images: np.ndarray, batch: int = 256) -> np.ndarray:
    """uint8 [N, H, W, 3] -> float32 features [N, D] (eval mode)."""
    was_training = model.training
    model.eval()
    out = [model.embed(uint8_to_tensor(images[i:i + batch])).numpy() for i in range(0, len(images), batch)]
    model.train(was_training)
    return np.concatenate(out).astype(np.float32)
