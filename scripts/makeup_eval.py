"""Measured edit success of a makeup model on held-out CelebA identities (never seen in training).

    .venv/bin/python scripts/makeup_eval.py [--model makeup-stargan48] [--n 400] [--out runs/makeup-eval]

For every edit the service offers, faces that do not have the requested attribute are edited exactly as the
service edits photos (StarGAN change at the model's resolution, upsampled onto the 128 px crop, feathered
mask) and the face attribute classifier (weights/face-attributes, trained separately on the same split)
reads the result. Printed per edit, as a markdown table for the model card:

- success: share of edited faces the classifier reads as having the requested attribute, next to the share
  before the edit (its false-positive rate on the same faces);
- judge ceiling: share of *all real* held-out faces that have the requested attribute (CelebA's labels) which the
  classifier reads as having it — what a perfect edit could expect from this judge;
- unrequested: mean share of faces whose other model attributes flipped in the classifier's reading;
- pixels: mean absolute change (0-255) over the crop, and pixels outside the mask that changed (must be 0);
- face colour noise: the spatial spread (standard deviation) of the CIE a/b change over the face's skin
  ellipse. A real edit moves skin colour smoothly (or not at all); the colour blotches a short StarGAN run
  paints to fool its critic's classifier make it large.

It also writes a grid of the edits on held-out faces to <out>/heldout_grid.png (CelebA images: for looking
at, never for committing) and all numbers to <out>/metrics.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from genstudio.data.celeba import load_celeba
from genstudio.faces.align import Alignment, paste_change
from genstudio.imaging import grid, uint8_to_tensor
from genstudio.services.makeup.pipeline import HAIR_CHOICES
from genstudio.stargan.editor import Request, StarGanEditor
from genstudio.stargan.networks import HAIR
from genstudio.stargan.photo import HAIR_ROUTE, crop_change
from genstudio.yardstick.makeup import colour_noise as face_colour_noise
from genstudio.yardstick.makeup import lab_spread

# (label, attribute, requested value, request)
EDITS: list[tuple[str, str, float, Request]] = [
    *[(f"hair {k}", a, 1.0, Request(hair=a)) for k, a in HAIR_CHOICES.items()],
    ("add makeup", "Heavy_Makeup", 1.0, Request(set={"Heavy_Makeup": 1.0})),
    ("remove makeup", "Heavy_Makeup", 0.0, Request(set={"Heavy_Makeup": 0.0})),
    ("male", "Male", 1.0, Request(set={"Male": 1.0})),
    ("female", "Male", 0.0, Request(set={"Male": 0.0})),
    ("old", "Young", 0.0, Request(set={"Young": 0.0})),
    ("young", "Young", 1.0, Request(set={"Young": 1.0})),
]


def edit_crops(editor: StarGanEditor, crops: np.ndarray, request: Request, method: str = "gan",
               batch: int = 64) -> tuple[np.ndarray, int]:
    """Edit 128 px aligned crops the way the service edits photos (pipeline.crop_change + paste_change);
    returns (edited crops, pixels changed outside the mask)."""
    import cv2

    out = np.empty_like(crops)
    outside_changed = 0
    identity = Alignment(np.array([[1.0, 0, 0], [0, 1.0, 0]]), crops.shape[1])
    for i in range(0, len(crops), batch):
        chunk = crops[i:i + batch]
        small = np.stack([cv2.resize(c, (editor.size, editor.size), interpolation=cv2.INTER_AREA) for c in chunk])
        x = uint8_to_tensor(small)
        c_src = editor.source_labels(editor.source_probabilities(x, uint8_to_tensor(chunk)))
        for j, crop in enumerate(chunk):
            change = crop_change(editor, crop, x[j:j + 1], c_src[j:j + 1], request, 1.0, method)
            edited, mask = paste_change(crop, identity, change)
            out[i + j] = edited
            outside_changed += int(((edited != crop).any(axis=2) & (mask == 0)).sum())
    return out, outside_changed


def colour_noise(before: np.ndarray, after: np.ndarray) -> float:
    """Mean over faces of the std of the a/b change inside the face ellipse (128 px crops, Lab 8-bit scale): the
    scene yardstick's measure (genstudio.yardstick.makeup.colour_noise), averaged."""
    return float(np.mean(face_colour_noise(lab_spread(before, after))))


@torch.no_grad()
def read(classifier, crops: np.ndarray, attributes: list[str]) -> dict[str, np.ndarray]:
    probs = []
    for i in range(0, len(crops), 128):
        probs.append(torch.sigmoid(classifier(uint8_to_tensor(crops[i:i + 128]))))
    p = torch.cat(probs).numpy()
    return {a: p[:, classifier.attributes.index(a)] for a in attributes}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="makeup-stargan48")
    ap.add_argument("--classifier", default="face-attributes")
    ap.add_argument("--data-root", default="../shared/datasets")
    ap.add_argument("--n", type=int, default=400, help="held-out faces (spread over the validation split)")
    ap.add_argument("--out", default="runs/makeup-eval")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--critic-source", action="store_true", help="read source attributes with the critic's head")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from genstudio.classifier import load_classifier

    editor = StarGanEditor.from_weights(args.model)
    classifier = load_classifier(args.classifier)
    if not args.critic_source:
        editor.use_reader(classifier)  # as the service does: source attributes from the classifier
    val = load_celeba(args.data_root, 128, "val")
    pick = np.linspace(0, len(val.images) - 1, min(args.n, len(val.images))).astype(int)
    crops, truth = val.images[pick], val.labels[pick]
    from genstudio.data.celeba import ATTRIBUTES as ALL

    model_attrs = list(editor.attributes)
    labels = {a: truth[:, ALL.index(a)] for a in model_attrs}
    # the judge on every real held-out face: the picked faces' "before", and its ceiling (how often it agrees
    # with CelebA's own labels)
    everyone = read(classifier, val.images, model_attrs)
    everyone_truth = {a: val.labels[:, ALL.index(a)] for a in model_attrs}
    before = {a: p[pick] for a, p in everyone.items()}
    rows, grid_cols = [], [crops[:8]]
    edits = [(label, attr, value, request, "gan") for label, attr, value, request in EDITS]
    for suffix, method in ((" (masked)", "masked"), (" (recolour)", "recolor")):
        edits += [(label + suffix, attr, value, request, method) for label, attr, value, request in EDITS
                  if request.hair]
    for label, attr, value, request, method in edits:
        # faces that do not have the requested attribute (CelebA's own labels)
        eligible = labels[attr] != value
        if attr in HAIR:
            eligible &= labels[attr] == 0
        idx = np.nonzero(eligible)[0]
        edited, outside = edit_crops(editor, crops[idx], request, method)
        after = read(classifier, edited, model_attrs)
        hit = (lambda p: p > 0.5) if value == 1.0 else (lambda p: p < 0.5)  # noqa: E731
        others = [a for a in model_attrs if a != attr and not (attr in HAIR and a in HAIR)]
        truly = np.nonzero(everyone_truth[attr] == value)[0]  # real faces already in the requested state
        ceiling = float(np.mean(hit(everyone[attr][truly]))) if len(truly) else float("nan")
        flips = np.mean([np.mean((after[a] > 0.5) != (before[a][idx] > 0.5)) for a in others])
        rows.append({
            "edit": label, "method": method, "faces": int(len(idx)),
            "success_before": float(np.mean(hit(before[attr][idx]))), "success_after": float(np.mean(hit(after[attr]))),
            "judge_ceiling": ceiling, "judge_faces": int(len(truly)),
            "unrequested_flips": float(flips),
            "mean_abs_change": float(np.abs(edited.astype(np.int16) - crops[idx].astype(np.int16)).mean()),
            "face_colour_noise": colour_noise(crops[idx], edited),
            "outside_mask_changed_pixels": outside,
        })
        grid_cols.append(edit_crops(editor, crops[:8], request, method)[0])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tiles = [Image.fromarray(col[r]) for r in range(8) for col in grid_cols]
    grid(tiles, columns=len(grid_cols)).save(out / "heldout_grid.png")
    result = {"model": args.model, "checkpoint": editor.checkpoint, "classifier": args.classifier,
              "classifier_checkpoint": getattr(classifier, "checkpoint", ""), "heldout_faces": int(len(crops)),
              "service_hair_route": HAIR_ROUTE,
              "edits": rows}
    (out / "metrics.json").write_text(json.dumps(result, indent=2) + "\n")
    print("| edit | faces | success before → after | judge ceiling | unrequested flips | mean abs change | "
          "face colour noise | changed outside mask |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['edit']} | {r['faces']} | {r['success_before']:.0%} → **{r['success_after']:.0%}** | "
              f"{r['judge_ceiling']:.0%} | {r['unrequested_flips']:.1%} | {r['mean_abs_change']:.1f} | "
              f"{r['face_colour_noise']:.2f} | {r['outside_mask_changed_pixels']} |")
    print(f"\nheld-out grid (CelebA, do not commit): {out / 'heldout_grid.png'}")


if __name__ == "__main__":
    main()
