"""The makeup page (upload or webcam, face picker, before/after slider) and its face-check endpoint.

POST /makeup/faces takes the photo the user picked and answers at once which faces were found (boxes as
fractions of the upright photo, largest first) and what may go wrong with each, so the page can offer a
face picker and show warnings *before* a job is queued. Edits themselves go through the jobs API.
"""

from __future__ import annotations

import numpy as np
from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _

from ...errors import ModelMissing, ParamError
from ...extensions import limiter
from ...faces import MAX_WORK_SIDE, MIN_FACE_PX, align_face, face_warnings
from ...faces.quality import FaceWarning, confidence_warnings
from ...imaging import uint8_to_tensor
from ...uploads import decode_uploads
from ...web.errors import json_errors
from ...web.service_pages import render_service_page
from ...web.strings import localize
from . import COSMETICS, SERVICE, analyse_upload

bp = Blueprint(SERVICE.name, __name__, template_folder="templates", static_folder="static", static_url_path="/static")


def face_report(photo: np.ndarray, faces) -> list[dict]:
    """JSON-able faces with their boxes (fractions of the photo) and warnings (model ones when installed)."""
    h, w = photo.shape[:2]
    editor = None
    if SERVICE.is_installed():
        try:
            editor = SERVICE.pipeline().editor
        except ModelMissing:
            editor = None
    out = []
    for i, face in enumerate(faces):
        crop128 = align_face(face, 128).crop(photo)
        warnings: list[FaceWarning] = face_warnings(face, align_face(face, 128), crop128)
        if editor is not None:
            x = uint8_to_tensor(align_face(face, editor.size).crop(photo)[None])
            probs = editor.source_probabilities(x, uint8_to_tensor(crop128[None]))[0].tolist()
            warnings += confidence_warnings(dict(zip(editor.attributes, probs, strict=True)))
        if face.size < MIN_FACE_PX:
            warnings.insert(0, FaceWarning("tiny_face", "This face is too small to edit (%(size)s px).",
                                           {"size": round(face.size)}))
        x0, y0, bw, bh = face.box
        out.append({"index": i, "box": [x0 / w, y0 / h, bw / w, bh / h], "size": round(face.size),
                    "eyes": face.eyes is not None, "profile": face.profile,
                    "warnings": [{"code": wa.code, "message": localize(wa)} for wa in warnings]})
    return out


def page_strings() -> dict[str, str]:
    """What makeup.js writes, in the visitor's language ({n}-style slots filled by the script)."""
    return {
        "checking": _("Looking for faces…"), "one_face": _("1 face found."),
        "many_faces": _("%(n)s faces found — the largest is selected.", n="{n}"), "face": _("Face %(n)s", n="{n}"),
        "choose_photo": _("Choose a photo or take one with the webcam."),
        "no_change": _("Choose at least one change: hair colour, makeup, lipstick, eye shadow, blush, gender or "
                       "age."),
        "no_webcam": _("This browser has no webcam access."),
        "webcam_failed": _("Webcam not available: %(e)s", e="{e}"),
    }


@bp.get("/")
def page():
    return render_service_page(SERVICE, "makeup/page.html", max_side=MAX_WORK_SIDE, page_strings=page_strings(),
                               cosmetics=COSMETICS)


@bp.post("/faces")
@json_errors
@limiter.limit("60 per minute")
def faces():
    upload = request.files.get("image")
    if upload is None:
        raise ParamError("image", "an image file is required")
    with decode_uploads({"image": upload.read()}, current_app.config["MAX_UPLOAD_PIXELS"],
                        SERVICE.upload_min_side) as uploads:
        photo, found, notes = analyse_upload(uploads["image"])
    arr = photo.array
    return jsonify({"width": arr.shape[1], "height": arr.shape[0], "notes": notes,
                    "faces": face_report(arr, found)})
