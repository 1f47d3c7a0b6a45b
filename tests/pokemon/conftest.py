"""Tiny Random Pokémon models with random (seeded) weights, exported the way training exports them."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from genstudio import weights
from genstudio.diffusion.autoencoder import Autoencoder
from genstudio.diffusion.pipeline import schedule_config
from genstudio.diffusion.train import autoencoder_config, diffusion_config
from genstudio.diffusion.unet import build_unet, unet_config
from genstudio.services.pokemon import MODEL

TINY_UNET = {
    "sample_size": 8, "block_out_channels": [16, 32], "layers_per_block": 1,
    "down_block_types": ["DownBlock2D", "DownBlock2D"], "up_block_types": ["UpBlock2D", "UpBlock2D"],
    "attention_head_dim": 8, "norm_num_groups": 8,
}
TINY_AE = {"channels": (8, 16), "latent_channels": 4, "blocks": 1, "out_channels": 8, "groups": 4}


def tiny_unet(seed: int = 0):
    torch.manual_seed(seed)
    return build_unet(TINY_UNET).eval()


def tiny_autoencoder(seed: int = 0) -> Autoencoder:
    torch.manual_seed(seed)
    return Autoencoder(**TINY_AE).eval()


def install_tiny(root: Path, name: str = MODEL, ae_name: str = "pokemon-autoencoder") -> Path:
    """weights/<ae_name>/ and weights/<name>/ for a 32 px model with 8×8×4 latents (by default under the
    service's default model's name)."""
    ae = tiny_autoencoder()
    weights.save(root / ae_name, ae.state_dict(), autoencoder_config(ae, 32, 0), half=False)
    ae_checkpoint = weights.file_digest(root / ae_name / "model.safetensors")
    unet = tiny_unet()
    tensors = {f"unet.{k}": v for k, v in unet.state_dict().items()}
    tensors.update({f"live.{k}": v.clone() for k, v in unet.state_dict().items()})
    config = diffusion_config(unet_config(TINY_UNET), schedule_config(), ae_name, ae_checkpoint, 32, 0)
    return weights.save(root / name, tensors, config, half=False)


def install_tiny_gan(root: Path, name: str = "pokemon-gan") -> Path:
    """weights/<name>/ for a 64 px FastGAN-style generator with random (seeded) weights."""
    from genstudio.pokegan.model import generator_config
    from genstudio.pokegan.networks import Generator

    torch.manual_seed(0)
    model = {"z_dim": 16, "width": 4, "resolution": 64}
    g = Generator(**model)
    with torch.no_grad():  # BatchNorm statistics of its own outputs, so that z visibly changes the image
        for _ in range(20):
            g(torch.randn(32, 16), torch.randint(0, 18, (32,)))
    g.eval()
    tensors = {f"generator.{k}": v for k, v in g.state_dict().items()}
    return weights.save(root / name, tensors, generator_config(model), half=False)


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pokemon-weights")
    install_tiny(root)
    install_tiny_gan(root)
    return root


@pytest.fixture
def weights_root(tiny_weights) -> Path:
    return tiny_weights


@pytest.fixture
def services() -> tuple:
    return ("genstudio.services.pokemon",)
