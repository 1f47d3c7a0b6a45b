"""The makeup yardstick: what a user of the makeup service sees, measured on scenes rather than crops.

Each held-out CelebA face (identity-based validation split, never seen in training) is pasted into its own
1024×768 scene: a synthetic background (flat colour, linear gradient or smooth noise texture, in turn), the
128 px photo scaled to a side of 100–300 px, turned by up to ±10°, at a random place (all drawn from fixed
seeds). Every scene goes through the service itself: PNG upload → `analyse_upload` (decode, detect) → the
`MakeupPipeline` (align → edit → paste back) for every edit the service offers, at strength 1, on the detected
face that matches the pasted one (as a user picks the face to edit). Measured per edit:

- success: share of edited faces the judge reads as having the requested attribute, before → after. The judge
  (a 40-attribute classifier; `face-judge`, else `face-attributes`) reads the face *re-cropped from the scene
  at the known paste geometry*, so detection or alignment errors of the pipeline cannot hide from it;
  beside it "judge on real": the share of the scenes' real faces that have the attribute (CelebA's labels)
  which the judge reads as having it — what a perfect edit could expect;
- drift: mean share of faces whose *unrequested* model attributes flipped in the judge's reading (JSON: the
  same over all 40 attributes, and the attributes that flip most);
- face colour noise: the spatial spread (standard deviation over the skin ellipse of the 128 px re-crop,
  mean of a and b) of the CIE a/b change, as scripts/makeup_eval.py measures it on crops; face brightness
  noise the same for the L change (uneven darkening or lightening, which the colour measure cannot see);
- changed outside face: pixels changed outside the pasted photo's footprint grown by an eighth of its side
  (room for detection and alignment error), with the scenes they are in and the largest change there (0-255).
  Must be 0: a wrong face edited, a crop far off the face, or a hair mask spilling onto the backdrop shows here.

The noise has two references on the same scenes, re-cropped the same way, so that a number can be read:
- "same face, white balance" (floor): the pasted face with a 6 % warmer colour cast (red ×1.06, blue ×0.94),
  a smooth, global change every viewer reads as lighting rather than blotches. An edit that recolours skin
  smoothly measures near this; blotches measure far above it.
- "another photo of the same person" (natural variation): another held-out photo of the same identity
  pasted at the same place and size: lighting, expression, make-up and pose differ between real photos, so
  this is what a change of photo measures (it also includes small misregistration). Its drift row is the
  judge's own instability between two photos of one person. An edit above this is noisier than real life.
A third row, the service at strength 0, is the zero point (must be 0 noise, 0 drift, 0 changed pixels).
Also reported: the detection rate (the pasted face found), how often it is face 0 (the service's default),
eyes found, and the alignment error (the pipeline's crop against the known geometry, in eye distances).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from PIL import Image

from ..data.celeba import ATTRIBUTES as CELEBA_ATTRIBUTES
from ..faces.align import BOX_CENTER, BOX_SIDE, EYE_DISTANCE, EYE_LEFT, EYE_RIGHT, Alignment, align_face
from ..faces.detect import Face
from ..faces.recolor import face_ellipse, to_lab
from ..imaging import uint8_to_tensor
from ..stargan.networks import HAIR

SCENE = (1024, 768)  # width, height
SEED = 1414
FACE_SIDES = (100.0, 300.0)  # side of the pasted 128 px CelebA photo in the scene (its face box is ~58 % of it)
MAX_ROLL = 10.0  # degrees
BACKGROUNDS = ("gradient", "noise", "flat")
CROP = 128  # CelebA's own crop size: the judge and the noise read the face re-cropped at this size
FACE_MARGIN = 1 / 8  # the face region: the pasted photo's footprint grown by this share of its side
WHITE_BALANCE = (1.06, 1.0, 0.94)
JUDGES = ("face-judge", "face-attributes")  # the default judge, then its fall-back


# -- held-out faces ---------------------------------------------------------------------------------------------


@dataclass
class HeldOut:
    """Faces of held-out identities: uint8 [N, 128, 128, 3], CelebA labels [N, 40], identities [N]."""

    images: np.ndarray
    labels: np.ndarray
    identities: np.ndarray


def load_heldout(data_root: str | Path, n: int) -> tuple[HeldOut, HeldOut]:
    """(n faces spread evenly over CelebA's validation identities (genstudio.data.celeba.is_validation_identity),
    all of them: the pool where other photos of the same people are found for the same-person reference)."""
    from ..data.celeba import load_celeba

    val = load_celeba(data_root, CROP, "val")
    pick = np.linspace(0, len(val.images) - 1, min(n, len(val.images))).astype(int)
    return HeldOut(val.images[pick], val.labels[pick], val.identities[pick]), HeldOut(val.images, val.labels,
                                                                                      val.identities)


def partners(faces: HeldOut, pool: HeldOut) -> list[int | None]:
    """For each face, the index in `pool` of another photo of the same identity (None when there is none)."""
    out: list[int | None] = []
    for i, ident in enumerate(faces.identities):
        same = np.nonzero(pool.identities == ident)[0]
        others = [j for j in same if not np.array_equal(pool.images[j], faces.images[i])]
        out.append(int(others[i % len(others)]) if others else None)
    return out


# -- scenes -------------------------------------------------------------------------------------------------------


@dataclass
class Scene:
    image: np.ndarray  # uint8 [H, W, 3]
    matrix: np.ndarray  # 2×3 affine: the 128 px photo's pixels -> scene pixels
    side: float  # the pasted photo's side in scene pixels
    roll: float
    background: str

    def paste(self, face: np.ndarray) -> np.ndarray:
        """This scene with another 128 px photo pasted at the same place (feathered border)."""
        return _composite(self.image, face, self.matrix)

    def recrop(self, image: np.ndarray) -> np.ndarray:
        """The pasted photo cut back out of (an edited copy of) the scene at the known geometry, 128 px."""
        return Alignment(cv2.invertAffineTransform(self.matrix), CROP).crop(image)

    def face_region(self) -> np.ndarray:
        """bool [H, W]: the pasted photo's footprint grown by FACE_MARGIN of its side on every edge."""
        pad = FACE_MARGIN * CROP
        square = np.array([[-pad, -pad], [CROP + pad, -pad], [CROP + pad, CROP + pad], [-pad, CROP + pad]])
        corners = np.hstack([square, np.ones((4, 1))]) @ self.matrix.T
        region = np.zeros(self.image.shape[:2], np.uint8)
        cv2.fillConvexPoly(region, np.round(corners).astype(np.int32), 1)
        return region.astype(bool)

    def true_box(self) -> tuple[np.ndarray, float]:
        """Where the frontal detector's box should be: its centre in the scene and its side."""
        centre = self.matrix @ np.array([BOX_CENTER[0] * CROP, BOX_CENTER[1] * CROP, 1.0])
        return centre, BOX_SIDE * self.side


def background(kind: str, rng: np.random.Generator, size: tuple[int, int] = SCENE) -> np.ndarray:
    w, h = size
    if kind == "flat":
        return np.broadcast_to(rng.integers(0, 256, 3).astype(np.uint8), (h, w, 3)).copy()
    if kind == "gradient":
        a, b = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
        angle = rng.uniform(0, 2 * math.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        t = xx * math.cos(angle) + yy * math.sin(angle)
        t = (t - t.min()) / max(float(t.max() - t.min()), 1.0)
        return np.clip(a + (b - a) * t[..., None], 0, 255).astype(np.uint8)
    if kind == "noise":  # smooth coloured blobs at a random scale, plus fine grain
        cell = int(rng.integers(8, 96))
        low = rng.normal(0, 1, (h // cell + 2, w // cell + 2, 3)).astype(np.float32)
        smooth = cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC)
        out = rng.uniform(60, 200, 3) + rng.uniform(15, 60) * smooth + rng.normal(0, rng.uniform(2, 10), (h, w, 3))
        return np.clip(out, 0, 255).astype(np.uint8)
    raise ValueError(f"unknown background {kind!r}")


def _feather(side: int = CROP, width: float = 3.0) -> np.ndarray:
    ramp = np.clip((np.minimum(np.arange(side), np.arange(side)[::-1]) + 0.5) / width, 0, 1).astype(np.float32)
    return np.minimum(ramp[:, None], ramp[None, :])


def _composite(bg: np.ndarray, face: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    h, w = bg.shape[:2]
    warped = cv2.warpAffine(face, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.warpAffine(_feather(face.shape[0]), matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    out = bg.astype(np.float32) * (1 - alpha[..., None]) + warped.astype(np.float32) * alpha[..., None]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def make_scene(face: np.ndarray, index: int, seed: int = SEED) -> Scene:
    """Scene `index` (its background, size, roll and place drawn from seed + index) with `face` pasted in."""
    rng = np.random.default_rng(seed + index)
    kind = BACKGROUNDS[index % len(BACKGROUNDS)]
    bg = background(kind, rng)
    side = float(rng.uniform(*FACE_SIDES))
    roll = float(rng.uniform(-MAX_ROLL, MAX_ROLL))
    reach = side / math.sqrt(2) + 2  # half the diagonal: the turned photo stays inside the scene
    cx, cy = rng.uniform(reach, SCENE[0] - reach), rng.uniform(reach, SCENE[1] - reach)
    m = cv2.getRotationMatrix2D((CROP / 2, CROP / 2), roll, side / CROP)
    m[0, 2] += cx - CROP / 2
    m[1, 2] += cy - CROP / 2
    return Scene(_composite(bg, face, m), m, side, roll, kind)


def match_face(scene: Scene, faces: list[Face]) -> int | None:
    """Index of the detection that is the pasted face (centre within 30 % of the box side, size within 1.6×)."""
    centre, side = scene.true_box()
    best, best_dist = None, 0.3 * side
    for i, f in enumerate(faces):
        dist = math.dist(f.center, centre)
        if dist <= best_dist and 1 / 1.6 < f.size / side < 1.6:
            best, best_dist = i, dist
    return best


def alignment_error(scene: Scene, face: Face) -> float:
    """Where the pipeline's alignment puts the (known) eyes of the pasted photo, against where CelebA has them:
    the larger miss of the two eyes in eye distances (0: the pipeline's crop is the pasted photo itself)."""
    a = align_face(face, CROP).matrix
    eyes = np.array([[EYE_LEFT[0] * CROP, EYE_LEFT[1] * CROP, 1.0], [EYE_RIGHT[0] * CROP, EYE_RIGHT[1] * CROP, 1.0]])
    in_scene = eyes @ scene.matrix.T
    back = np.hstack([in_scene, np.ones((2, 1))]) @ a.T
    return float(np.abs(back - eyes[:, :2]).max() / (EYE_DISTANCE * CROP))


# -- measures -----------------------------------------------------------------------------------------------------


def lab_spread(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Per face and CIE Lab channel, the spatial std of the change over the face's skin ellipse, [N, 3], for
    uint8 aligned crops [N, S, S, 3] (Lab on OpenCV's 8-bit scale). An even change of any channel is free."""
    inside = face_ellipse(before.shape[1]) > 0.5
    out = [(to_lab(a) - to_lab(b))[inside].std(axis=0) for b, a in zip(before, after, strict=True)]
    return np.array(out, dtype=np.float64).reshape(-1, 3)


def colour_noise(spread: np.ndarray) -> np.ndarray:
    """Per face, the a/b part of lab_spread (mean of a and b): colour blotches."""
    return spread[:, 1:].mean(axis=1)


def brightness_noise(spread: np.ndarray) -> np.ndarray:
    """Per face, the L part of lab_spread: what colour_noise cannot see, a change that darkens or lightens parts
    of the face unevenly (a drawn shadow, or dark blotches)."""
    return spread[:, 0]


@torch.no_grad()
def read(judge: torch.nn.Module, crops: np.ndarray) -> np.ndarray:
    """The judge's P(attribute) [N, len(judge.attributes)] for uint8 crops."""
    if len(crops) == 0:
        return np.zeros((0, len(judge.attributes)), np.float32)
    return np.concatenate([torch.sigmoid(judge(uint8_to_tensor(crops[i:i + 64]))).numpy()
                           for i in range(0, len(crops), 64)])


def service_edits() -> list[tuple[str, dict[str, Any], str, float]]:
    """(label, service params, attribute, requested value) for every edit the makeup service offers (lipstick,
    eye shadow and blush in their default shades)."""
    from ..services.makeup import SCHEMA
    from ..services.makeup.pipeline import request_from_params

    out = []
    for name, words in (("hair", "{} hair"), ("makeup", "{} makeup"), ("gender", "{}"), ("age", "{}")):
        for choice in next(p for p in SCHEMA.params if p.name == name).choices:
            if choice == "keep":
                continue
            params = SCHEMA.resolve({name: choice})
            req = request_from_params(params)
            attr, value = (req.hair, 1.0) if req.hair else next(iter(req.set.items()))
            out.append((words.format(choice), params, attr, float(value)))
    # the cosmetics in their default shades, each read by the judge's nearest attribute (the judge has no "wearing
    # eye shadow"; CelebA's Heavy_Makeup is mostly eye makeup)
    for label, switch, attr in (("lipstick", "lips", "Wearing_Lipstick"), ("eye shadow", "eyes", "Heavy_Makeup"),
                                ("blush", "blush", "Rosy_Cheeks")):
        out.append((label, SCHEMA.resolve({switch: "on"}), attr, 1.0))
    return out


def load_judge(name: str = JUDGES[0]) -> tuple[torch.nn.Module, str]:
    """The judge classifier and the name actually used: `name`, or face-attributes when it is not installed."""
    from ..classifier import load_classifier
    from ..weights import is_installed

    used = name if is_installed(name) or name not in JUDGES else JUDGES[-1]
    return load_classifier(used), used


def teacher_of(name: str) -> str | None:
    """The classifier a makeup model was trained to convince (training config extra.teacher), if any: that
    classifier cannot also be its judge, or the yardstick would grade the model by its own answer key."""
    from ..weights import read_config

    extra = (read_config(name).get("train_config") or {}).get("extra") or {}
    return extra.get("teacher")


def _flip_share(before: np.ndarray, after: np.ndarray, columns: list[int]) -> float:
    if not len(before) or not columns:
        return float("nan")
    return float(((before[:, columns] > 0.5) != (after[:, columns] > 0.5)).mean())


def _drift(judge_attrs: tuple[str, ...], model_attrs: tuple[str, ...], attr: str | None, before: np.ndarray,
           after: np.ndarray) -> dict[str, Any]:
    """Unrequested attributes flipped: over the model's attributes, over all the judge's, and the top flips."""
    skip = {attr} | (set(HAIR) if attr in HAIR else set())
    model_cols = [judge_attrs.index(a) for a in model_attrs if a not in skip and a in judge_attrs]
    all_cols = [i for i, a in enumerate(judge_attrs) if a not in skip]
    per = {judge_attrs[i]: _flip_share(before, after, [i]) for i in all_cols} if len(before) else {}
    top = dict(sorted(per.items(), key=lambda kv: -kv[1])[:5])
    return {"drift": _flip_share(before, after, model_cols), "drift_all": _flip_share(before, after, all_cols),
            "drift_top": {k: round(v, 4) for k, v in top.items()}}


# -- the run ------------------------------------------------------------------------------------------------------


@torch.no_grad()
def evaluate(pipeline: Any, judge: torch.nn.Module, faces: HeldOut, pool: HeldOut | None = None,
             seed: int = SEED, progress: Callable[[str], None] = print) -> dict[str, Any]:
    """Every service edit on every scene; `pipeline` is the service's MakeupPipeline, `pool` the held-out photos
    searched for same-person partners (default: `faces`). Returns the metrics (see the module's docstring)."""
    from ..errors import InputError
    from ..services.makeup import analyse_upload, check_face

    pool = pool or faces
    judge_attrs = tuple(judge.attributes)
    model_attrs = tuple(pipeline.editor.attributes)
    edits = service_edits()
    noop = next(params for _, params, attr, _ in edits if attr not in HAIR)  # the generator's path, not recolouring
    n = len(faces.images)
    pairs = partners(faces, pool)
    before_crops = np.zeros((n, CROP, CROP, 3), np.uint8)
    found = np.zeros(n, bool)
    first = np.zeros(n, bool)
    eyes = np.zeros(n, bool)
    extra = np.zeros(n, int)
    align_err = np.full(n, np.nan)
    after: dict[str, list[tuple[int, np.ndarray]]] = {e[0]: [] for e in edits}
    outside: dict[str, list[tuple[int, int]]] = {e[0]: [] for e in edits}
    refs: dict[str, list[tuple[int, np.ndarray]]] = {"noop": [], "white balance": [], "same person": []}
    ref_outside: list[tuple[int, int]] = []
    scenes: list[dict[str, Any]] = []
    for i in range(n):
        scene = make_scene(faces.images[i], i, seed)
        before_crops[i] = scene.recrop(scene.image)
        buf = io.BytesIO()
        Image.fromarray(scene.image).save(buf, format="PNG", compress_level=1)
        try:
            photo, detected, notes = analyse_upload(buf.getvalue())
        except InputError:
            detected, notes, photo = [], [], None
        index = match_face(scene, detected)
        scenes.append({"background": scene.background, "side": round(scene.side, 1), "roll": round(scene.roll, 2),
                       "detections": len(detected), "found": index is not None})
        # the unedited references need no detection: they are what the photo itself can vary by
        wb = np.clip(faces.images[i].astype(np.float32) * np.array(WHITE_BALANCE, np.float32), 0, 255)
        refs["white balance"].append((i, scene.recrop(scene.paste(np.rint(wb).astype(np.uint8)))))
        if pairs[i] is not None:
            refs["same person"].append((i, scene.recrop(scene.paste(pool.images[pairs[i]]))))
        if index is None or photo is None:
            progress(f"scene {i + 1}/{n}: the pasted face was not found ({len(detected)} detections)")
            continue
        try:
            check_face(detected, index)
        except InputError:
            progress(f"scene {i + 1}/{n}: the face was refused as too small")
            continue
        found[i], first[i] = True, index == 0
        eyes[i] = detected[index].eyes is not None
        extra[i] = len(detected) - 1
        align_err[i] = alignment_error(scene, detected[index])
        scenes[-1].update(eyes=bool(eyes[i]), alignment_error=round(float(align_err[i]), 3), leaks={})
        region = scene.face_region()
        inputs = {"photo": photo.image, "faces": [f.to_dict() for f in detected], "face": index, "notes": notes}

        crop, leak = _run(pipeline, {**noop, "strength": 0.0}, inputs, scene, region)
        refs["noop"].append((i, crop))
        ref_outside.append(leak)
        for label, params, attr, value in edits:
            truth = faces.labels[i, CELEBA_ATTRIBUTES.index(attr)]
            if truth == value:  # the face already has what is asked (CelebA's labels): nothing to measure
                continue
            crop, leak = _run(pipeline, params, inputs, scene, region)
            after[label].append((i, crop))
            outside[label].append(leak)
            if leak[0]:
                scenes[-1]["leaks"][label] = {"pixels": leak[0], "max_change": leak[1]}
        progress(f"scene {i + 1}/{n}: {scene.background}, {scene.side:.0f} px, {scene.roll:+.1f}°, edited")

    p_before = read(judge, before_crops)
    rows = []
    for label, _params, attr, value in edits:
        idx = np.array([i for i, _ in after[label]], int)
        crops = np.stack([c for _, c in after[label]]) if len(idx) else np.zeros((0, CROP, CROP, 3), np.uint8)
        p_after = read(judge, crops)
        col = judge_attrs.index(attr)
        hit = (lambda p: p > 0.5) if value == 1.0 else (lambda p: p < 0.5)  # noqa: E731
        truly = np.nonzero(faces.labels[:, CELEBA_ATTRIBUTES.index(attr)] == value)[0]
        spread = lab_spread(before_crops[idx], crops)
        rows.append({
            "edit": label, "attribute": attr, "value": value, "faces": int(len(idx)),
            "success_before": _mean(hit(p_before[idx, col])), "success_after": _mean(hit(p_after[:, col])),
            "judge_on_real": _mean(hit(p_before[truly, col])), "judge_real_faces": int(len(truly)),
            **_drift(judge_attrs, model_attrs, attr, p_before[idx], p_after),
            "face_colour_noise": _mean(colour_noise(spread)),
            "face_brightness_noise": _mean(brightness_noise(spread)),
            "mean_abs_change": _mean(np.abs(crops.astype(np.int16) - before_crops[idx].astype(np.int16))),
            **_leaks(outside[label]),
        })
    references = []
    names = {"noop": "no edit (strength 0)", "white balance": "same face, white balance ±6 %",
             "same person": "another photo of the same person"}
    for key, items in refs.items():
        idx = np.array([i for i, _ in items], int)
        crops = np.stack([c for _, c in items]) if items else np.zeros((0, CROP, CROP, 3), np.uint8)
        spread = lab_spread(before_crops[idx], crops)
        references.append({
            "reference": names[key], "faces": int(len(idx)),
            **_drift(judge_attrs, model_attrs, None, p_before[idx], read(judge, crops)),
            "face_colour_noise": _mean(colour_noise(spread)),
            "face_brightness_noise": _mean(brightness_noise(spread)),
            **(_leaks(ref_outside) if key == "noop" else {"changed_outside_face": None}),
        })
    detection = {
        "scenes": n, "found": int(found.sum()), "rate": _mean(found), "face_0": _mean(first[found]),
        "eyes_found": _mean(eyes[found]), "extra_detections": _mean(extra[found]),
        "alignment_error_median": float(np.nanmedian(align_err)) if found.any() else float("nan"),
        "rate_by_background": {k: _mean(found[[s["background"] == k for s in scenes]]) for k in BACKGROUNDS},
    }
    return {"scene": {"size": list(SCENE), "face_sides": list(FACE_SIDES), "max_roll": MAX_ROLL, "seed": seed,
                      "backgrounds": list(BACKGROUNDS), "face_margin": FACE_MARGIN},
            "detection": detection, "edits": rows, "references": references, "scenes": scenes}


def _run(pipeline: Any, params: dict[str, Any], inputs: dict[str, Any], scene: Scene, region: np.ndarray
         ) -> tuple[np.ndarray, tuple[int, int]]:
    """One service job on a scene: (the face re-cropped from the result, (pixels changed outside the face, the
    largest change there in 0-255 units))."""
    edited = np.asarray(pipeline.generate(params, inputs)[0].image.convert("RGB"))
    diff = np.abs(edited.astype(np.int16) - scene.image.astype(np.int16)).max(axis=2)
    leak = diff[~region]
    return scene.recrop(edited), (int((leak > 0).sum()), int(leak.max(initial=0)))


def _leaks(per_scene: list[tuple[int, int]]) -> dict[str, int]:
    return {"changed_outside_face": sum(px for px, _ in per_scene),
            "leak_scenes": sum(px > 0 for px, _ in per_scene),
            "leak_max_change": max((d for _, d in per_scene), default=0)}


def _leak_cell(r: dict[str, Any]) -> str:
    if r["changed_outside_face"] is None:
        return "—"
    if not r["changed_outside_face"]:
        return "0"
    scenes = f"{r['leak_scenes']} scene{'s' if r['leak_scenes'] != 1 else ''}"
    return f"{r['changed_outside_face']:,} ({scenes}, ≤ {r['leak_max_change']})"


def _mean(x: Any) -> float:
    x = np.asarray(x, dtype=np.float64)
    return float(x.mean()) if x.size else float("nan")


def _pct(x: float) -> str:
    return "—" if x != x else f"{x:.0%}"


def format_table(result: dict[str, Any]) -> str:
    """The model card's markdown: one row per service edit, then the references, then detection."""
    lines = ["| edit | faces | success before → after | judge on real | drift (unrequested) | face colour noise | "
             "face brightness noise | changed px outside face |", "|---|---|---|---|---|---|---|---|"]
    for r in result["edits"]:
        lines.append(f"| {r['edit']} | {r['faces']} | {_pct(r['success_before'])} → **{_pct(r['success_after'])}** | "
                     f"{_pct(r['judge_on_real'])} | {_num(r['drift'], '.1%')} | {_num(r['face_colour_noise'], '.2f')} "
                     f"| {_num(r.get('face_brightness_noise'), '.2f')} | {_leak_cell(r)} |")
    for r in result["references"]:
        lines.append(f"| *reference: {r['reference']}* | {r['faces']} | — | — | {_num(r['drift'], '.1%')} | "
                     f"{_num(r['face_colour_noise'], '.2f')} | {_num(r.get('face_brightness_noise'), '.2f')} | "
                     f"{_leak_cell(r)} |")
    d = result["detection"]
    lines += ["", f"Detection: the pasted face found in {d['found']}/{d['scenes']} scenes ({_pct(d['rate'])}; "
              + ", ".join(f"{k} {_pct(v)}" for k, v in d["rate_by_background"].items())
              + f"), as face 0 in {_pct(d['face_0'])}, eyes found in {_pct(d['eyes_found'])}, "
              f"{_num(d['extra_detections'], '.2f')} other detections per scene, median alignment error "
              f"{_num(d['alignment_error_median'], '.2f')} eye distances."]
    return "\n".join(lines)


def _num(x: float | None, fmt: str) -> str:
    return "—" if x is None or x != x else format(x, fmt)
