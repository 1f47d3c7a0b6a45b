"""The noise-prediction U-Net: diffusers' UNet2DModel with a type (class) embedding.

Class index i < 18 is TYPES[i]; index 18 ("any") doubles as the null label used for label dropout in
training and for the unconditional half of classifier-free guidance.
"""

from __future__ import annotations

from typing import Any

import torch
from diffusers import UNet2DModel

from ..data.pokemon import TYPES

NUM_CLASSES = len(TYPES) + 1

DEFAULT_UNET: dict[str, Any] = {
    "sample_size": 16,
    "in_channels": 4,
    "out_channels": 4,
    "block_out_channels": [64, 128, 128],
    "layers_per_block": 1,
    "down_block_types": ["DownBlock2D", "DownBlock2D", "DownBlock2D"],
    "up_block_types": ["UpBlock2D", "UpBlock2D", "UpBlock2D"],
    "attention_head_dim": 32,
    "norm_num_groups": 16,
    "add_attention": True,  # self-attention in the mid block only, at the lowest resolution (cheap, global)
    "dropout": 0.0,
}


def unet_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The full UNet2DModel kwargs: defaults, then the config file's model.unet section."""
    cfg = {**DEFAULT_UNET, **(overrides or {})}
    cfg["num_class_embeds"] = NUM_CLASSES
    for key in ("block_out_channels", "down_block_types", "up_block_types"):
        cfg[key] = tuple(cfg[key])
    return cfg


def build_unet(overrides: dict[str, Any] | None = None) -> UNet2DModel:
    return UNet2DModel(**unet_config(overrides))


def unet_state(tensors: dict[str, torch.Tensor], prefer_live: bool = False) -> dict[str, torch.Tensor]:
    """The U-Net's state dict from an exported file: the EMA copy ("unet.") or the live one ("live.")."""
    order = ("live.", "unet.") if prefer_live else ("unet.",)
    for prefix in order:
        part = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        if part:
            return part
    raise KeyError("no U-Net weights in this file")
