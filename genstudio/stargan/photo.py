"""Photo in, edited photo out: detect -> align like CelebA -> StarGAN change -> paste back at full resolution.

Only the generator's change is brought back into the photo (feathered), so the photo keeps its own resolution
and every pixel outside the face mask is untouched. A pixel generator's change is computed at the model's
resolution and upsampled; a bilateral-grid generator's grid is sliced with the aligned crop at the photo's own
resolution (up to FULL_SIDE) as the guide, so its change follows the photo's own edges, pixel for pixel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import torch

from ..faces import Face, align_face, detect_faces, paste_change
from ..faces.align import native_side_from
from ..faces.cosmetics import BLUSH, EYE_SHADOW, Product
from ..faces.lips import LIPSTICK
from ..faces.quality import FaceWarning, confidence_warnings, face_warnings
from ..faces.recolor import hair_mask, recolor_change
from ..imaging import tensor_to_uint8, uint8_to_tensor
from .editor import Request, StarGanEditor

HAIR_METHODS = ("gan", "masked", "recolor")
# How each hair colour is made, from measured edit success (scripts/makeup_eval.py, 300 held-out faces,
# makeup-stargan48 at 12,500 steps): brown gan 47 % / recolour 34 %, blond recolour 58 % / gan 23 %, gray
# recolour 7 % / gan 2 %. Black: gan 47 % / recolour 33 %, but on real photos (the astronaut in the model card)
# the generator's black is faint and greenish while the recolour is a clean black, so black keeps the recolour.
HAIR_ROUTE: dict[str, str] = {
    "Black_Hair": "recolor", "Blond_Hair": "recolor", "Brown_Hair": "gan", "Gray_Hair": "recolor",
}
COSMETICS: dict[str, Product] = {"lips": LIPSTICK, "eyes": EYE_SHADOW, "blush": BLUSH}  # Request's names
WORK_SIDE = 512  # the crop side at which changes are computed before the final upsampling to the photo
FULL_SIDE = 1024  # a bilateral change is sliced at the face's own resolution up to this (paste_change's cap)


@dataclass
class FaceEdit:
    image: np.ndarray  # the edited photo, uint8 RGB, same size as the input
    mask: np.ndarray  # float mask in photo coordinates (0 where nothing changed)
    source: dict[str, float]  # P(attribute) read from the face before the edit
    target: dict[str, float]  # the target vector used
    warnings: list[FaceWarning] = field(default_factory=list)
    hair_method: str | None = None  # how the hair colour was made (None: kept), for the recipe


def crop_tensor(photo: np.ndarray, face: Face, size: int) -> tuple[torch.Tensor, np.ndarray, Any]:
    """The face aligned at the model's size ([-1, 1] tensor) and at 128 px (for quality checks)."""
    alignment = align_face(face, size)
    crop128 = alignment.crop(photo, 128)
    small = alignment.crop(photo, size)
    return uint8_to_tensor(small[None]), crop128, alignment


def hair_route(editor: StarGanEditor) -> dict[str, str]:
    """How this model makes each hair colour: HAIR_ROUTE, overridden by its weights' config `hair_route` (the
    routes are measured per model: a generator whose own hair edit reads better than the recolour says so)."""
    return {**HAIR_ROUTE, **(editor.config.get("hair_route") or {})}


def hair_method_for(request: Request, route: dict[str, str] | None = None) -> str | None:
    """The hair route for a request (None when the hair colour is kept)."""
    return None if request.hair is None else (route or HAIR_ROUTE).get(request.hair, "recolor")


def crop_change(editor: StarGanEditor, crop: np.ndarray, x: torch.Tensor, c_src: torch.Tensor, request: Request,
                strength: float, hair_method: str | None = None, reach: bool = False) -> np.ndarray:
    """The change (float, 0..255 units) to add to an aligned crop of any size.

    With a pixel generator each change below is computed at the model's resolution and upsampled onto the
    crop; with a bilateral generator it is the grid sliced with `crop` itself as the guide (the crop's own
    resolution, so `crop` must be the real aligned crop whatever the route).
    "gan": the generator's change for the whole request.
    "masked": the generator's hair change, but only inside a soft hair mask (no colour spill onto the face).
    "recolor": hair by full-resolution recolouring inside that mask, keeping the photo's hair texture.
    With "masked" and "recolor" every other requested attribute comes from the generator's change. The hair
    mask is sharpened by where the generator's own hair edit acts, and with `reach` it follows the hair past
    the head (for a paste through hair_reach). None: this model's route (hair_route).
    Cosmetics (request.cosmetics(): blush, eye shadow, lipstick) are painted last, on the crop with the other
    edits, in the regions the generator's makeup edit marks (genstudio.faces.cosmetics), at the crop's resolution.
    """
    hair_method = hair_method or hair_method_for(request, hair_route(editor))
    if hair_method is not None and hair_method not in HAIR_METHODS:
        raise ValueError(f"hair_method must be one of {HAIR_METHODS}")
    side = crop.shape[0]

    full = uint8_to_tensor(crop[None]) if editor.bilateral else None

    def change(req: Request) -> np.ndarray:
        c_trg = editor.target_labels(c_src, req)
        if full is not None:  # the grid sliced at the crop's own resolution: nothing to upsample
            return as_change(editor.change_at(x, c_src, c_trg, full))
        arr = as_change(editor.change(x, c_src, c_trg))
        return cv2.resize(arr, (side, side), interpolation=cv2.INTER_CUBIC)

    out = np.zeros((side, side, 3), np.float32)
    if hair_method == "gan" or request.hair is None:
        if request.model_edits():
            out += change(Request(request.hair, request.set)) * float(strength)
    else:
        if request.set:
            out += change(Request(set=request.set)) * float(strength)
        hair_change = change(Request(hair=request.hair))
        mask = hair_mask(crop, hair_change, reach=reach)
        if hair_method == "masked":
            out += hair_change * mask[..., None] * float(strength)
        else:
            out += recolor_change(crop, mask, request.hair, float(strength))
    if request.cosmetics():  # painted last, on the edited face: each ends in the shade asked for
        out += cosmetics_change(crop, out, model_crop(x), makeup_change(editor, x, c_src), request, strength)
    return out


def cosmetics_change(crop: np.ndarray, change: np.ndarray, small: np.ndarray, makeup: np.ndarray,
                     request: Request, strength: float) -> np.ndarray:
    """The change that paints the request's cosmetics, one over the other, on `crop` (uint8 RGB) edited by
    `change`: each in its region, found on `small` (the face at the model's size) from `makeup` (the model's
    makeup change there), sharpened at the crop's resolution."""
    out = np.zeros(crop.shape, np.float32)
    for name, shade in request.cosmetics().items():
        product = COSMETICS[name]
        edited = np.clip(crop.astype(np.float32) + change + out, 0, 255).astype(np.uint8)
        mask = product.mask(crop, product.region(small, makeup))
        out += product.change(edited, mask, shade, float(strength))
    return out


def as_change(delta: torch.Tensor) -> np.ndarray:
    """The first face's change of a [-1, 1]-unit batch [N, 3, H, W] as float [H, W, 3] in 0..255 units."""
    return delta[0].permute(1, 2, 0).numpy() * 127.5


def model_crop(x: torch.Tensor) -> np.ndarray:
    """The first face of a [-1, 1] batch as uint8 RGB [S, S, 3]."""
    return tensor_to_uint8(x[:1])[0]


def makeup_change(editor: StarGanEditor, x: torch.Tensor, c_src: torch.Tensor) -> np.ndarray:
    """What the generator's makeup does to this face at the model's size (float [S, S, 3], 0..255 units): its
    output with heavy makeup minus without, whatever the face wears now (so a made-up face shows it too). All
    zero for a model without the Heavy_Makeup attribute."""
    size = x.shape[-1]
    if "Heavy_Makeup" not in editor.attributes:
        return np.zeros((size, size, 3), np.float32)
    off = editor.target_labels(c_src, Request(set={"Heavy_Makeup": 0.0}))
    on = editor.target_labels(c_src, Request(set={"Heavy_Makeup": 1.0}))
    return as_change(editor.change(x, off, on))


def edit_face(editor: StarGanEditor, photo: np.ndarray, face: Face, request: Request, strength: float,
              hair_method: str | None = None) -> FaceEdit:
    """Edit one face of an RGB uint8 photo (hair_method None: the colour's route for this model, hair_route)."""
    hair_method = hair_method or hair_method_for(request, hair_route(editor))
    x, crop128, alignment = crop_tensor(photo, face, editor.size)
    probs = editor.source_probabilities(x, uint8_to_tensor(crop128[None]))
    c_src = editor.source_labels(probs)
    c_trg = editor.target_labels(c_src, request)
    work = int(min(max(native_side_from(alignment), editor.size), FULL_SIDE if editor.bilateral else WORK_SIDE))
    needs_crop = editor.bilateral or request.hair is not None or bool(request.cosmetics())
    crop = alignment.crop(photo, work) if needs_crop else np.zeros((work, work, 3))
    reach = request.hair is not None and alignment.by_eyes
    change = crop_change(editor, crop.astype(np.uint8), x, c_src, request, strength, hair_method, reach)
    edited, mask = paste_change(photo, alignment, change, reach=hair_reach(crop) if reach else None)
    source = {a: round(float(p), 4) for a, p in zip(editor.attributes, probs[0].tolist(), strict=True)}
    target = {a: float(v) for a, v in zip(editor.attributes, c_trg[0].tolist(), strict=True)}
    warnings = face_warnings(face, alignment, crop128) + confidence_warnings(source)
    return FaceEdit(edited, mask, source, target, warnings, hair_method if request.hair else None)


def hair_reach(crop: np.ndarray) -> np.ndarray:
    """Where a hair edit is pasted past the face's ellipse: the hair itself, followed into the crop's corners
    (long hair on the shoulders, big hair at the top). Only for a face aligned by its eyes: a crop placed by
    the detection box alone may be too large, and its corners then hold the backdrop."""
    return hair_mask(crop.astype(np.uint8), reach=True)


def find_faces(photo: np.ndarray) -> list[Face]:
    """Faces largest first (the default edit target is index 0)."""
    return sorted(detect_faces(photo), key=lambda f: (f.profile, -f.size))
