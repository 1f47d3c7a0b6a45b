"""A tiny but real generative service for the platform tests: a small conv net with fixed random weights,
saved and loaded through genstudio.weights like the real models, seeded like them, reporting progress and
previews like them. `toy` generates from noise; `toyedit` takes an uploaded photo."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from genstudio import weights
from genstudio.imaging import to_pil
from genstudio.services.base import Output, Pipeline, Service
from genstudio.services.params import Param, Schema

MODEL = "toy-tiny"


class TinyNet(nn.Module):
    """8x8x8 noise -> 32x32 RGB in [-1, 1]."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(16, 16, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(8, 3, 3, padding=1), nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.body(z)


def install_weights(root: Path, name: str = MODEL) -> Path:
    """Random (seeded) weights saved the way real models are: model.safetensors + config.json."""
    torch.manual_seed(1234)
    net = TinyNet()
    return weights.save(root / name, net.state_dict(), {"family": "toy", "latent": 8}, half=False)


class ToyPipeline(Pipeline):
    def __init__(self, loaded: weights.LoadedWeights) -> None:
        self.model_name = loaded.name
        self.checkpoint = loaded.checkpoint
        self.net = TinyNet()
        self.net.load_state_dict(loaded.tensors)
        self.net.eval()

    @torch.no_grad()
    def generate(self, params: dict[str, Any], inputs: dict[str, Any], progress=None) -> list[Output]:
        progress = progress or (lambda fraction, preview=None: None)
        if params.get("fail"):
            raise RuntimeError("the toy model was asked to fail")
        gen = torch.Generator().manual_seed(int(params["seed"]))
        count, steps, delay = int(params.get("count", 1)), int(params["steps"]), float(params["delay"])
        outputs = []
        for i in range(count):
            z = torch.randn(1, 8, 8, 8, generator=gen)
            x = None
            for s in range(steps):
                x = self.net(z * (s + 1) / steps)
                if params.get("palette") == "cool":
                    x = x[:, [2, 1, 0]]
                if "image" in inputs:
                    from genstudio.imaging import from_pil

                    x = 0.5 * x + 0.5 * from_pil([inputs["image"]], size=32)
                if delay:
                    time.sleep(delay)
                progress((i * steps + s + 1) / (count * steps), to_pil(x)[0])
            image = to_pil(-x if params.get("invert") else x)[0].resize((64, 64), 0)
            outputs.append(Output(image, {"frame": i}))
        return outputs


class ToyService(Service):
    name = "toy"
    title = "Toy generator"
    description = "A tiny random network used by the platform tests."
    default_model = MODEL
    install_hint = "genstudio train toy --config configs/toy.yaml"
    sync_seconds = 5.0
    schema = Schema((
        Param("seed", "seed"),
        Param("count", "int", 1, 1, 4, help="How many images."),
        Param("steps", "int", 4, 1, 50),
        Param("delay", "float", 0.0, 0.0, 2.0),
        Param("palette", "choice", "warm", choices=("warm", "cool")),
        Param("invert", "bool", False),
        Param("fail", "bool", False),
    ))

    def models(self) -> list[str]:
        return [MODEL, "toy-absent"]

    def is_installed(self, model_name: str | None = None) -> bool:
        return weights.is_installed(model_name or self.default_model)

    def load(self, model_name: str) -> Pipeline:
        return ToyPipeline(weights.load(model_name, hint=self.install_hint))


class ToyEditService(ToyService):
    name = "toyedit"
    title = "Toy photo editor"
    description = "Blends the toy network's output with an uploaded photo."
    accepts_upload = True

    def prepare(self, params: dict[str, Any], files) -> dict[str, Any]:
        super().prepare(params, files)
        return {"image": files["image"].image.resize((32, 32))}


def make_services() -> tuple[Service, Service]:
    """Fresh instances per app, so that cached pipelines never leak between tests."""
    return ToyService(), ToyEditService()
