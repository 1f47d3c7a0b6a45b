"""Makeup & hair dye: StarGAN edits of an uploaded face photo, pasted back at the photo's own resolution.

Jobs API: service `makeup`, multipart upload `image`, params hair (black|blond|brown|gray|keep),
makeup (add|remove|keep), gender (male|female|keep), age (young|old|keep), lips (on|off) with lip_shade,
eyes (on|off) with eye_shade, blush (on|off) with blush_shade (each shade #rrggbb, recorded only when its product
is on), strength (0-1), face (index, largest first; optional). Bad uploads are refused in prepare(), before any
job exists.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from PIL import Image

from ...errors import N_, InputError, ParamError
from ...faces import MIN_FACE_PX, Face, load_photo
from ...stargan.editor import INSTALL_HINT, StarGanEditor
from ...stargan.photo import find_faces
from ...uploads import Upload
from ...weights import is_installed
from ..base import Service
from ..params import Param, Schema
from .cosmetics import COSMETICS
from .pipeline import MakeupPipeline, request_from_params

DEFAULT_MODEL = "makeup-bilateral64"
CLASSIFIER_MODEL = "face-attributes"
MAX_FACES = 32


SCHEMA = Schema((
    Param("hair", "choice", "keep", choices=("keep", "black", "blond", "brown", "gray"), help="new hair colour"),
    Param("makeup", "choice", "keep", choices=("keep", "add", "remove"), help="add or remove heavy makeup"),
    Param("gender", "choice", "keep", choices=("keep", "male", "female"), help="make the face look male or female"),
    Param("age", "choice", "keep", choices=("keep", "young", "old"), help="make the face look younger or older"),
    *(param for cosmetic in COSMETICS for param in cosmetic.params()),
    Param("strength", "float", 1.0, 0.0, 1.0, help="how much of the model's change to apply"),
    Param("face", "int", None, 0, MAX_FACES - 1, help="which face to edit (0 is the largest); optional"),
))

NO_FACE = N_("No face was found in this photo. Use a photo where the face looks at the camera, is well lit and "
             "fills a good part of the picture.")


def analyse_upload(upload: Upload | bytes) -> tuple[Any, list[Face], list[str]]:
    """Orient an upload (decoding bytes) and find its faces; InputError when it holds no usable face."""
    photo = load_photo(upload)
    if min(photo.image.size) < MIN_FACE_PX:  # e.g. a 40,000,000×1 strip: no face fits, whatever the detector says
        raise InputError("The photo is too narrow (%(width)s×%(height)s pixels after downscaling) to hold a face "
                         "of at least %(side)s px.", status=422, width=photo.image.width, height=photo.image.height,
                         side=MIN_FACE_PX)
    faces = find_faces(photo.array)[:MAX_FACES]
    if not faces:
        raise InputError(NO_FACE, status=422)
    notes = ["downscaled"] if photo.downscaled else []  # to MAX_WORK_SIDE: a code, like the warnings
    return photo, faces, notes


def check_face(faces: list[Face], index: int | None) -> int:
    index = 0 if index is None else index
    if index >= len(faces):
        raise ParamError("face", "the photo has %(n)s face(s); choose 0 to %(last)s", n=len(faces), last=len(faces) - 1)
    if faces[index].size < MIN_FACE_PX:
        raise InputError("The face is too small to edit (%(size)s px wide; at least %(min)s px are needed). Use a "
                         "closer or larger photo.", status=422, size=round(faces[index].size), min=MIN_FACE_PX)
    return index


class MakeupService(Service):
    name = "makeup"
    title = "Makeup & hair dye"
    description = ("Upload a photo (or use your webcam), pick a hair colour, makeup, gender or age, and get your "
                   "photo back edited at its own resolution — only the face and hair change.")
    schema = SCHEMA
    default_model = DEFAULT_MODEL
    page = "genstudio.services.makeup.web"
    accepts_upload = True
    upload_min_side = MIN_FACE_PX  # a photo narrower than the smallest editable face is refused undecoded
    install_hint = INSTALL_HINT
    sync_seconds = 5.0
    extra_labels = {
        "face": N_("Face edited (0 is the largest)"), "faces": N_("Faces in the photo"),
        "face_box": N_("Face box (x, y, width, height in px)"), "warnings": N_("Warnings"),
        "source_attributes": N_("Attributes read from the face"), "target": N_("Attributes asked for"),
        "hair_method": N_("Hair colour method"),
    }
    value_labels = {
        "recolor": N_("recolouring inside a hair mask"), "masked": N_("the model's edit inside a hair mask"),
        "gan": N_("the model's edit"), "downscaled": N_("photo scaled down"), "profile": N_("face turned sideways"),
        "small_face": N_("small face"), "tiny_face": N_("face too small"), "no_eyes": N_("eyes not found"),
        "poor_alignment": N_("face turned away"), "blurry": N_("blurry face"),
        "low_confidence": N_("the model was unsure about the face"),
    }

    def is_installed(self, model_name: str | None = None) -> bool:
        return is_installed(model_name or self.default_model)

    def load(self, model_name: str) -> MakeupPipeline:
        editor = StarGanEditor.from_weights(model_name)
        if is_installed(CLASSIFIER_MODEL):  # better source attributes than the critic's head; optional
            from ...classifier import load_classifier

            editor.use_reader(load_classifier(CLASSIFIER_MODEL))
        return MakeupPipeline(editor)

    def example(self) -> Image.Image:
        """The landing card: scikit-image's astronaut photo (public domain, shipped with scikit-image) before and
        after blond hair, made the way a job makes it, side by side around her face."""
        from skimage import data

        buf = io.BytesIO()
        Image.fromarray(data.astronaut()).save(buf, format="PNG")
        params = self.schema.resolve({"hair": "blond"})
        inputs = self.prepare(params, {"image": buf.getvalue()})
        after = self.pipeline().generate(params, inputs)[0].image
        return before_after(inputs["photo"], after, Face.from_dict(inputs["faces"][inputs["face"]]).box)

    def prepare(self, params: dict[str, Any], files: Mapping[str, Any]) -> dict[str, Any]:
        super().prepare(params, files)
        if request_from_params(params).is_empty():
            raise ParamError("hair", "choose at least one change: hair, makeup, lipstick, eye shadow, blush, gender "
                                     "or age")
        photo, faces, notes = analyse_upload(files["image"])
        index = check_face(faces, params.get("face"))
        return {"photo": photo.image, "faces": [f.to_dict() for f in faces], "face": index, "notes": notes}


def before_after(before: Image.Image, after: Image.Image, box: tuple[int, int, int, int],
                 side: int = 360) -> Image.Image:
    """Two 2:3 crops around the face (hair included), before | after: a 4:3 picture."""
    x, y, w, h = box
    height = min(2.6 * max(w, h), before.height, 1.5 * before.width)
    width = height * 2 / 3
    left = min(max(x + w / 2 - width / 2, 0), before.width - width)
    top = min(max(y + h / 2 - 0.55 * height, 0), before.height - height)
    crop = (round(left), round(top), round(left + width), round(top + height))
    size = (side * 2 // 3, side)
    out = Image.new("RGB", (2 * size[0] + 4, side), "white")
    out.paste(before.convert("RGB").crop(crop).resize(size, Image.Resampling.LANCZOS), (0, 0))
    out.paste(after.convert("RGB").crop(crop).resize(size, Image.Resampling.LANCZOS), (size[0] + 4, 0))
    return out


SERVICE = MakeupService()
