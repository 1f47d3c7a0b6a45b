"""Makeup & hair dye: StarGAN edits of an uploaded face photo, pasted back at the photo's own resolution.

Jobs API: service `makeup`, multipart upload `image`, params hair (black|blond|brown|gray|keep),
makeup (add|remove|keep), gender (male|female|keep), age (young|old|keep), strength (0-1), face (index,
largest first; optional). Bad uploads are refused in prepare(), before any job exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from PIL import Image

from ...faces import MAX_WORK_SIDE, MIN_FACE_PX, Face, load_photo
from ...stargan.editor import INSTALL_HINT, StarGanEditor
from ...uploads import Upload
from ...weights import is_installed
from ..base import Generator, InputError, Output, Param, ParamError, ProgressFn, Schema, Service, no_progress
from .pipeline import edit_face, find_faces, hair_method_for, request_from_params

DEFAULT_MODEL = "makeup-stargan48"
CLASSIFIER_MODEL = "face-attributes"
MAX_FACES = 32

SCHEMA = Schema((
    Param("hair", "choice", "keep", choices=("keep", "black", "blond", "brown", "gray"), help="new hair colour"),
    Param("makeup", "choice", "keep", choices=("keep", "add", "remove"), help="add or remove heavy makeup"),
    Param("gender", "choice", "keep", choices=("keep", "male", "female"), help="make the face look male or female"),
    Param("age", "choice", "keep", choices=("keep", "young", "old"), help="make the face look younger or older"),
    Param("strength", "float", 1.0, 0.0, 1.0, help="how much of the model's change to apply"),
    Param("face", "int", None, 0, MAX_FACES - 1, help="which face to edit (0 is the largest); optional"),
))

NO_FACE = ("No face was found in this photo. Use a photo where the face looks at the camera, is well lit and "
           "fills a good part of the picture.")


class MakeupGenerator(Generator):
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
            "hair_method": hair_method_for(request),
        }
        return [Output(Image.fromarray(edit.image), extra)]


def analyse_upload(upload: Upload | bytes) -> tuple[Any, list[Face], list[str]]:
    """Orient an upload (decoding bytes) and find its faces; InputError when it holds no usable face."""
    photo = load_photo(upload)
    if min(photo.image.size) < MIN_FACE_PX:  # e.g. a 40,000,000×1 strip: no face fits, whatever the detector says
        raise InputError(f"The photo is too narrow ({photo.image.width}×{photo.image.height} pixels after "
                         f"downscaling) to hold a face of at least {MIN_FACE_PX} px.", status=422)
    faces = find_faces(photo.array)[:MAX_FACES]
    if not faces:
        raise InputError(NO_FACE, status=422)
    notes = [f"downscaled to {MAX_WORK_SIDE} px"] if photo.downscaled else []
    return photo, faces, notes


def check_face(faces: list[Face], index: int | None) -> int:
    index = 0 if index is None else index
    if index >= len(faces):
        raise ParamError("face", f"the photo has {len(faces)} face(s); choose 0 to {len(faces) - 1}")
    if faces[index].size < MIN_FACE_PX:
        raise InputError(f"The face is too small to edit ({faces[index].size:.0f} px wide; at least {MIN_FACE_PX} px "
                         "are needed). Use a closer or larger photo.", status=422)
    return index


class MakeupService(Service):
    name = "makeup"
    title = "Makeup & hair dye"
    description = ("Upload a photo (or use your webcam), pick a hair colour, makeup, gender or age, and get your "
                   "photo back edited at its own resolution — only the face and hair change.")
    schema = SCHEMA
    default_model = DEFAULT_MODEL
    accepts_upload = True
    upload_min_side = MIN_FACE_PX  # a photo narrower than the smallest editable face is refused undecoded
    install_hint = INSTALL_HINT
    sync_seconds = 5.0

    def is_installed(self, model_name: str | None = None) -> bool:
        return is_installed(model_name or self.default_model)

    def load(self, model_name: str) -> MakeupGenerator:
        editor = StarGanEditor.from_weights(model_name)
        if is_installed(CLASSIFIER_MODEL):  # better source attributes than the critic's head; optional
            from ...classifier import load_classifier

            editor.use_reader(load_classifier(CLASSIFIER_MODEL))
        return MakeupGenerator(editor)

    def prepare(self, params: dict[str, Any], files: Mapping[str, Any]) -> dict[str, Any]:
        super().prepare(params, files)
        if request_from_params(params).is_empty():
            raise ParamError("hair", "choose at least one change: hair, makeup, gender or age")
        photo, faces, notes = analyse_upload(files["image"])
        index = check_face(faces, params.get("face"))
        return {"photo": photo.image, "faces": [f.to_dict() for f in faces], "face": index, "notes": notes}


SERVICE = MakeupService()

from .web import make_blueprint  # noqa: E402  (the blueprint needs SERVICE's helpers above)

SERVICE.blueprint = make_blueprint(SERVICE)
