"""The noise-prediction U-Net: diffusers' UNet2DModel with a type (class) embedding.

Class index i < 18 is TYPES[i]; index 18 ("any") doubles as the null label used for label dropout in
training and for the unconditional half of classifier-free guidance. A model conditioned on the art style
(config "styles") has one such block of 19 per style slot: slot 0 is "any style", slot 1 + k is styles[k], so
label = type + 19 × slot, the null label stays 18, and a type-only model is the slot-0 block alone.
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


def unet_config(overrides: dict[str, Any] | None = None, styles: int = 0) -> dict[str, Any]:
    """The full UNet2DModel kwargs: defaults, then the config file's model.unet section; one block of class
    embeddings per style slot."""
    cfg = {**DEFAULT_UNET, **(overrides or {})}
    cfg["num_class_embeds"] = NUM_CLASSES * (1 + styles)
    for key in ("block_out_channels", "down_block_types", "up_block_types"):
        cfg[key] = tuple(cfg[key])
    return cfg


def build_unet(overrides: dict[str, Any] | None = None, styles: int = 0) -> UNet2DModel:
    return UNet2DModel(**unet_config(overrides, styles))


def class_label(type_index: int, style: str = "any", styles: tuple[str, ...] = ()) -> int:
    """The class index for a type index and a style name ("any", or one of the model's styles)."""
    if style == "any":
        return type_index
    if style not in styles:
        raise ValueError(f"unknown style {style!r}: this model knows {', '.join(styles) or 'no styles'}")
    return type_index + NUM_CLASSES * (1 + styles.index(style))


def widen_class_table(state: dict[str, torch.Tensor], rows: int) -> dict[str, torch.Tensor]:
    """A type-only model's state with its class table repeated for every style slot, so a style-conditioned
    model started from it first draws exactly what it did and then learns what each style adds."""
    key = "class_embedding.weight"
    table = state[key]
    if table.shape[0] != rows:
        state = {**state, key: table.repeat(rows // table.shape[0], 1)}
    return state


def unet_state(tensors: dict[str, torch.Tensor], prefer_live: bool = False) -> dict[str, torch.Tensor]:
    """The U-Net's state dict from an exported file: the EMA copy ("unet.") or the live one ("live.")."""
    order = ("live.", "unet.") if prefer_live else ("unet.",)
    for prefix in order:
        part = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        if part:
            return part
    raise KeyError("no U-Net weights in this file")
