"""The Pokémon GAN family: DiffAugment keeps shapes and gradients, the tiny training run exports a model
that loads by name, draws the requested type and gives the same image for the same seed in any batch."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from genstudio.pokegan.augment import diff_augment
from genstudio.pokegan.networks import Discriminator, Generator
from genstudio.training.loop import TrainConfig, Trainer, load_task

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("GENSTUDIO_DATA", REPO.parent / "shared" / "datasets"))


def test_networks_shapes_and_type_projection():
    torch.manual_seed(0)
    g, d = Generator(16, 4, 64), Discriminator(4, 64)
    z, types = torch.randn(3, 16), torch.tensor([0, 1, 17])
    images = g(z, types)
    assert images.shape == (3, 3, 64, 64) and images.abs().max() <= 1
    logits, recon = d(images, types, reconstruct=True)
    assert logits.shape == (3,) and recon is not None and recon.shape == (3, 3, 32, 32)
    other, _ = d(images, torch.tensor([5, 5, 5]))
    assert not torch.allclose(logits, other)  # the projection head reads the type


def test_diff_augment_is_differentiable_and_random():
    x = torch.rand(4, 3, 16, 16, requires_grad=True)
    torch.manual_seed(1)
    a = diff_augment(x)
    torch.manual_seed(2)
    b = diff_augment(x)
    assert a.shape == x.shape and not torch.equal(a, b)
    a.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


@pytest.mark.skipif(not (DATA / "pokemon" / "labels.csv").is_file(), reason="needs ../shared/datasets/pokemon")
def test_tiny_training_run_exports_a_loadable_typed_generator(tmp_path, monkeypatch):
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(tmp_path / "weights"))
    monkeypatch.setenv("GENSTUDIO_CACHE", str(tmp_path / "cache"))
    cfg = TrainConfig.from_yaml(REPO / "configs" / "pokemon-gan-tiny.yaml",
                                {"data_root": str(DATA), "run_dir": str(tmp_path / "run")})
    assert Trainer(load_task("pokemon-gan"), cfg).train() == 4
    assert (tmp_path / "run" / "samples" / "step_0000002.png").is_file()

    from genstudio.services.pokemon.models import load_pokemon_model

    model = load_pokemon_model("pokemon-gan-tiny")
    assert type(model).__name__ == "PokemonGanModel"
    pair = model.generate("fire", [7, 8])
    alone = model.generate("fire", [8])
    assert pair[0].size == (64, 64)
    assert pair[1].tobytes() == alone[0].tobytes()  # an image does not depend on its batch
    z = torch.randn(1, 16)
    fire, water = (model.generator(z, torch.tensor([t]), [torch.Generator().manual_seed(0)]) for t in (1, 2))
    assert not torch.equal(fire, water)  # the type reaches the image
    assert model.generate("any", [8])[0].tobytes() == model.generate("any", [8])[0].tobytes()
