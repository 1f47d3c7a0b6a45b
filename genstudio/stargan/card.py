"""Grids for model cards: every edit on photos that ship with packages (scikit-image's astronaut), run
through the whole photo pipeline (detect, align, edit, paste back). CelebA grids are made by
scripts/makeup_eval.py at run time and never committed."""

from __future__ import annotations

import copy

import numpy as np
import torch
from PIL import Image, ImageDraw

from ..imaging import grid, to_pil, uint8_to_tensor
from .editor import Request, StarGanEditor
from .networks import HAIR
from .photo import crop_tensor, edit_face, find_faces


def package_photos() -> dict[str, np.ndarray]:
    """Face photos that ship inside installed packages (no downloads, nothing of CelebA)."""
    from skimage import data

    return {"astronaut": data.astronaut()}


def edit_requests(editor: StarGanEditor, c_src: torch.Tensor) -> list[tuple[str, Request]]:
    """Each hair colour, then each other attribute flipped from what the face shows now."""
    out = [(h.replace("_Hair", "").lower() + " hair", Request(hair=h)) for h in HAIR if h in editor.attributes]
    names = {"Heavy_Makeup": ("makeup", "no makeup"), "Male": ("male", "female"), "Young": ("young", "old")}
    for a in editor.attributes:
        if a in HAIR:
            continue
        now = float(c_src[0, editor.attributes.index(a)])
        on, off = names.get(a, (a, "not " + a))
        out.append((off if now > 0.5 else on, Request(set={a: 1.0 - now})))
    return out


def _label(im: Image.Image, text: str) -> Image.Image:
    im = im.copy()
    draw = ImageDraw.Draw(im)
    draw.rectangle((0, 0, im.width, 14), fill=(0, 0, 0))
    draw.text((3, 1), text, fill=(255, 255, 255))
    return im


@torch.no_grad()
def photo_edit_rows(editor: StarGanEditor, photo: np.ndarray, tile: int = 192) -> list[Image.Image]:
    """Two rows of tiles for one photo: the pasted-back edit around the face, and the raw generator output."""
    from ..faces import align_face

    faces = find_faces(photo)
    if not faces:
        raise ValueError("no face in the package photo")
    face = faces[0]
    x, crop128, _ = crop_tensor(photo, face, editor.size)
    c_src = editor.source_labels(editor.source_probabilities(x, uint8_to_tensor(crop128[None])))
    view = align_face(face, tile).resized(tile)
    top = [_label(Image.fromarray(view.crop(photo)), "input")]
    bottom = [to_pil(x)[0].resize((tile, tile), Image.Resampling.NEAREST)]
    for name, req in edit_requests(editor, c_src):
        edit = edit_face(editor, photo, face, req, 1.0)
        top.append(_label(Image.fromarray(view.crop(edit.image)), name))
        raw = editor.g(x, editor.target_labels(c_src, req))
        bottom.append(to_pil(raw)[0].resize((tile, tile), Image.Resampling.NEAREST))
    return top + bottom


def package_photo_grid(g: torch.nn.Module, d: torch.nn.Module, model_cfg: dict,
                       reader: torch.nn.Module | None = None) -> Image.Image:
    """Rows per package photo: full-resolution paste-back (labelled) and the raw low-resolution output.
    reader: the face attribute classifier the service reads source attributes with (else the critic)."""
    editor = StarGanEditor(copy.deepcopy(g).cpu().float(), copy.deepcopy(d).cpu().float(), model_cfg)
    if reader is not None:
        editor.use_reader(reader)
    tiles: list[Image.Image] = []
    for photo in package_photos().values():
        tiles += photo_edit_rows(editor, photo)
    return grid(tiles, columns=len(tiles) // (2 * len(package_photos())))
