"""Makeup tests run the real pipeline on a tiny StarGAN with random weights (written once per session into a
temp GENSTUDIO_WEIGHTS folder) and on scikit-image's astronaut photo, so the whole folder stays fast."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from genstudio.services.makeup import DEFAULT_MODEL
from genstudio.stargan.networks import ATTRIBUTES, build
from genstudio.weights import save

torch.set_num_threads(1)  # tiny models: extra threads only fight the background trainings for the two cores

TINY = {"attributes": list(ATTRIBUTES), "image_size": 32, "g_conv_dim": 8, "g_repeat_num": 1, "g_edge_kernel": 3,
        "d_conv_dim": 8, "d_repeat_num": 3, "d_max_dim": 64, "residual": True}


def write_tiny_stargan(root: Path, name: str = DEFAULT_MODEL) -> Path:
    torch.manual_seed(0)
    g, d = build(TINY)
    with torch.no_grad():  # a trained generator changes faces; the zero-initialised one would not
        g.out.weight.normal_(0, 0.05)
        d.cls.weight.zero_()  # P = 0.5 for every attribute: the source reads "none", so any request is a change
    tensors = {f"G.{k}": v for k, v in g.state_dict().items()}
    tensors.update({f"D.{k}": v for k, v in d.state_dict().items()})
    save(root / name, tensors, {"family": "makeup", "architecture": "stargan", **TINY}, half=False)
    return root / name


TINY_BILATERAL = {**TINY, "head": "bilateral", "luma_bins": 4}


def write_tiny_bilateral(root: Path, name: str = "makeup-bilateral", coeff_std: float = 0.0) -> Path:
    """A tiny bilateral-grid StarGAN: the identity as initialised (coeff_std 0), else random colour transforms."""
    torch.manual_seed(0)
    g, d = build(TINY_BILATERAL)
    with torch.no_grad():
        if coeff_std:
            g.coeffs.weight.normal_(0, coeff_std)
        d.cls.weight.zero_()
    tensors = {f"G.{k}": v for k, v in g.state_dict().items()}
    tensors.update({f"D.{k}": v for k, v in d.state_dict().items()})
    save(root / name, tensors, {"family": "makeup", "architecture": "stargan", **TINY_BILATERAL}, half=False)
    return root / name


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("makeup-weights")
    write_tiny_stargan(root)
    return root


@pytest.fixture
def weights_root(tiny_weights) -> Path:
    return tiny_weights


@pytest.fixture
def services() -> tuple:
    return ("genstudio.services.makeup",)


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()


def encode(arr: np.ndarray, fmt: str = "PNG", **kwargs) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format=fmt, **kwargs)
    return buf.getvalue()
