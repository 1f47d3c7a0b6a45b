"""Tiny person-service models with random weights, written once per session into a temp weights folder
(GENSTUDIO_WEIGHTS for the app), so tests exercise the real code paths in milliseconds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from genstudio.classifier import AttributeClassifier
from genstudio.data.celeba import ATTRIBUTES
from genstudio.latentmap import MapAutoencoder
from genstudio.services.person import DEFAULT_MODEL
from genstudio.upsampler.networks import Upsampler
from genstudio.weights import save
from genstudio.wgan.directions import DIRECTION_ATTRIBUTES
from genstudio.wgan.networks import Critic, Generator

TINY_G = {"z_dim": 16, "width": 8, "resolution": 16}
DEMO = {"plus": [1, 2, 3, 4, 5, 6], "minus": [7, 8, 9], "man_with_glasses": [1, 2, 3],
        "man_without_glasses": [7, 8, 9], "woman_without_glasses": [4, 5, 6]}


def tiny_generator(seed: int = 0) -> Generator:
    torch.manual_seed(seed)
    g = Generator(**TINY_G)
    with torch.no_grad():  # give BatchNorm non-trivial running stats, as a trained model has
        g.train()
        for _ in range(3):
            g(torch.randn(32, TINY_G["z_dim"]))
    return g.eval()


def tiny_classifier(seed: int = 0) -> AttributeClassifier:
    torch.manual_seed(seed)
    clf = AttributeClassifier(ATTRIBUTES, width=4, image_size=16)
    with torch.no_grad():  # BatchNorm statistics of the images it will see, so logits vary like a trained one's
        for m in clf.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.momentum = 1.0
        clf.train()
        clf(tiny_generator(seed)(torch.randn(256, TINY_G["z_dim"])))
    return clf.eval()


TINY_UP = {"family": "upsampler", "width": 4, "blocks": 1, "scale": 2}


def tiny_upsampler(seed: int = 3, residual: bool = True) -> Upsampler:
    """A tiny 2× up-sampler. A new one adds nothing to bicubic (its last layer starts at zero, as in training):
    with `residual` that layer is random, so its output differs from bicubic as a trained one's does."""
    torch.manual_seed(seed)
    up = Upsampler(TINY_UP["width"], TINY_UP["blocks"])
    if residual:
        with torch.no_grad():
            torch.nn.init.normal_(up.tail.weight, std=0.2)
    return up.eval()


def write_tiny_upsampler(root: Path, name: str = "person-upsampler", residual: bool = True) -> Path:
    up = tiny_upsampler(residual=residual)
    save(root / name, {f"upsampler.{k}": v for k, v in up.state_dict().items()}, dict(TINY_UP), half=False)
    return root / name


def write_tiny_weights(root: Path) -> Path:
    g = tiny_generator()
    critic = Critic(8, 16)
    tensors = {f"generator.{k}": v for k, v in g.state_dict().items()}
    tensors.update({f"train.generator.{k}": v.clone() for k, v in g.state_dict().items()})
    tensors.update({f"train.critic.{k}": v for k, v in critic.state_dict().items()})
    save(root / DEFAULT_MODEL, tensors, {"family": "person", **TINY_G}, half=False)

    gen = torch.Generator().manual_seed(1)
    vectors = {a: torch.randn(TINY_G["z_dim"], generator=gen) for a in DIRECTION_ATTRIBUTES}
    vectors = {a: v / v.norm() for a, v in vectors.items()}
    save(root / "person-directions", {f"direction.{a}": v for a, v in vectors.items()},
         {"family": "person-directions", "attributes": list(vectors), "demos": {"glasses": DEMO},
          "ranges": {"Male": [-1.5, 2.0]}}, half=False)  # measured by scripts/person_slider_ranges.py

    clf = tiny_classifier()
    save(root / "face-attributes", clf.state_dict(),
         {"family": "classifier", "attributes": list(ATTRIBUTES), "width": 4, "image_size": 16, "dropout": 0.0})

    torch.manual_seed(2)
    ae = MapAutoencoder(resolution=32, width=4, latent_dim=2, hidden=16).eval()
    save(root / "latentmap-faces", ae.state_dict(),
         {"family": "latentmap", "resolution": 32, "width": 4, "latent_dim": 2, "hidden": 16})
    points = {"x": [0.1, -0.5, 1.2], "y": [0.3, 0.8, -1.0], "labels": {"Male": "101", "Smiling": "011"},
              "extent": [-2.0, 2.0, -2.0, 2.0]}
    (root / "latentmap-faces" / "points.json").write_text(json.dumps(points))

    from genstudio.wgan.directions import label_samples
    from genstudio.wgan.plane import fit_plane, save_plane

    z, logits = label_samples(g, clf, list(range(5)))  # the GAN map: 5 faces of the tiny generator
    save_plane(root / "person-plane", fit_plane(z, logits, ATTRIBUTES), DEFAULT_MODEL, "tiny")
    write_tiny_upsampler(root)
    return root


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory) -> Path:
    return write_tiny_weights(tmp_path_factory.mktemp("person-weights"))


@pytest.fixture
def weights_root(tiny_weights: Path) -> Path:
    return tiny_weights


@pytest.fixture
def services() -> tuple:
    return ("genstudio.services.person",)


@pytest.fixture
def person_env(tiny_weights: Path, monkeypatch) -> Path:
    """GENSTUDIO_WEIGHTS -> the tiny models, for tests that call the service without the app."""
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(tiny_weights))
    return tiny_weights
