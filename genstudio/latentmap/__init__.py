"""2-D latent map: a VAE whose latent plane is shown as a clickable map (the original's autoencoder demo).

    from genstudio.latentmap import load_latentmap
    lm = load_latentmap("latentmap-faces")   # .model (MapAutoencoder, eval), .points (coordinates + labels)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .networks import MapAutoencoder

DEFAULT_MODEL = "latentmap-faces"
INSTALL_HINT = "train it with: genstudio train latentmap --config configs/latentmap-faces-cpu.yaml"


@dataclass
class LatentMap:
    model: MapAutoencoder
    points: dict[str, Any]  # {"x": [...], "y": [...], "labels": {attr: [0/1 ...]}, "extent": [x0, x1, y0, y1]}
    checkpoint: str
    name: str


def build_map_model(config: dict) -> MapAutoencoder:
    return MapAutoencoder(int(config.get("resolution", 64)), int(config.get("width", 32)),
                          int(config.get("latent_dim", 2)), int(config.get("hidden", 256)))


def load_latentmap(name: str = DEFAULT_MODEL) -> LatentMap:
    from ..weights import load

    loaded = load(name, hint=INSTALL_HINT)
    model = build_map_model(loaded.config)
    model.load_state_dict(loaded.tensors)
    model.eval().requires_grad_(False)
    points_path = loaded.path / "points.json"
    points = json.loads(points_path.read_text()) if points_path.is_file() else {"x": [], "y": [], "labels": {}}
    return LatentMap(model, points, loaded.checkpoint, name)


__all__ = ["DEFAULT_MODEL", "LatentMap", "MapAutoencoder", "build_map_model", "load_latentmap"]
