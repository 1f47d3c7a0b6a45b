"""MakeupPipeline: one face of an uploaded photo edited by the StarGAN photo pipeline (genstudio.stargan.photo),
as the service's parameters ask."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from ...faces import Face
from ...faces.cosmetics import parse_shade
from ...stargan.editor import Request, StarGanEditor
from ...stargan.photo import edit_face
from ..base import Output, Pipeline, ProgressFn, no_progress
from .cosmetics import COSMETICS, Cosmetic

HAIR_CHOICES = {"black": "Black_Hair", "blond": "Blond_Hair", "brown": "Brown_Hair", "gray": "Gray_Hair"}


def request_from_params(params: dict[str, Any]) -> Request:
    """Service params (hair/makeup/gender/age, 'keep' meaning unchanged; lips, eyes and blush on with their
    shades) -> an editor Request."""
    hair = params.get("hair", "keep")
    setting: dict[str, float] = {}
    if params.get("makeup", "keep") != "keep":
        setting["Heavy_Makeup"] = 1.0 if params["makeup"] == "add" else 0.0
    if params.get("gender", "keep") != "keep":
        setting["Male"] = 1.0 if params["gender"] == "male" else 0.0
    if params.get("age", "keep") != "keep":
        setting["Young"] = 1.0 if params["age"] == "young" else 0.0
    return Request(HAIR_CHOICES.get(hair), setting, **{c.switch: shade(params, c) for c in COSMETICS})


def shade(params: dict[str, Any], cosmetic: Cosmetic) -> tuple[int, int, int] | None:
    """The shade of a cosmetic when its switch is on, else None."""
    return parse_shade(params[cosmetic.field]) if params.get(cosmetic.switch, "off") == "on" else None


class MakeupPipeline(Pipeline):
    def __init__(self, editor: StarGanEditor):
        self.editor = editor
        self.model_name = editor.name
        self.checkpoint = editor.checkpoint

    def generate(
        self, params: dict[str, Any], inputs: dict[str, Any], progress: ProgressFn = no_progress
    ) -> list[Output]:
        photo = np.asarray(inputs["photo"].convert("RGB"))
        faces = [Face.from_dict(d) for d in inputs["faces"]]
        index = int(inputs.get("face", 0))
        progress(0.2, None)
        request = request_from_params(params)
        edit = edit_face(self.editor, photo, faces[index], request, params["strength"])
        progress(0.9, None)
        extra = {
            "face": index, "faces": len(faces), "face_box": list(faces[index].box),
            "warnings": [w.code for w in edit.warnings] + list(inputs.get("notes", [])),
            "source_attributes": edit.source, "target": edit.target,
            "hair_method": edit.hair_method,
        }
        return [Output(Image.fromarray(edit.image), extra)]
