"""Measure where *our* detector puts eyes and face boxes on CelebA crops, to align photos like CelebA.

Haar eye boxes are not landmark points, so the canonical positions used by genstudio.faces.align are
measured with the same detector on CelebA's own crops (median over a few hundred sharp images):

    .venv/bin/python scripts/makeup_calibrate.py --n 400
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from genstudio.faces.detect import _detect, detect_faces


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-root", default="../shared/datasets")
    ap.add_argument("--n", type=int, default=400)
    args = ap.parse_args()
    root = Path(args.data_root) / "celeba"
    with open(root / "sources.csv") as fh:
        files = [r["image"] for r in csv.DictReader(fh) if r["resample"] == "down"]
    files = files[:: max(1, len(files) // args.n)][: args.n]
    pad, up = 64, 2
    eyes, boxes, profiles, misses = [], [], {False: [], True: []}, 0
    for f in files:
        crop = np.asarray(Image.open(root / "images" / f).convert("RGB"))
        canvas = cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        canvas = cv2.resize(canvas, None, fx=up, fy=up, interpolation=cv2.INTER_CUBIC)
        to_crop = lambda p: ((p[0] / up - pad) / 128, (p[1] / up - pad) / 128)  # noqa: E731
        # the profile cascade's own box, on the photo as given and mirrored (detect_faces reports the frontal box)
        gray = cv2.cvtColor(canvas, cv2.COLOR_RGB2GRAY)
        for flip in (False, True):
            found = _detect(gray[:, ::-1].copy() if flip else gray, "haarcascade_profileface.xml", 4)
            if found:
                box = max(found, key=lambda bv: bv[0][2])[0]
                cx = box[0] + box[2] / 2
                profiles[flip].append((*to_crop((canvas.shape[1] - cx if flip else cx, box[1] + box[3] / 2)),
                                       box[2] / up / 128))
        faces = [fc for fc in detect_faces(canvas) if not fc.profile]
        if not faces:
            misses += 1
            continue
        fc = faces[0]
        boxes.append((*to_crop(fc.center), fc.size / up / 128))
        if fc.eyes:
            eyes.append((*to_crop(fc.eyes[0]), *to_crop(fc.eyes[1])))
    e, b = np.median(np.array(eyes), 0), np.median(np.array(boxes), 0)
    print(f"{len(files)} crops, {misses} without a face, {len(eyes)} with both eyes")
    print(f"eyes (fraction of crop side): left ({e[0]:.4f}, {e[1]:.4f}) right ({e[2]:.4f}, {e[3]:.4f})")
    print(f"eye spread (IQR of x, y): {np.subtract(*np.percentile(np.array(eyes), [75, 25], 0))}")
    print(f"face box: centre ({b[0]:.4f}, {b[1]:.4f}) side {b[2]:.4f}")
    for flip, rows in profiles.items():
        p = np.median(np.array(rows), 0)
        print(f"profile box{' (mirrored photo)' if flip else ''}, {len(rows)} crops: centre ({p[0]:.4f}, {p[1]:.4f}) "
              f"side {p[2]:.4f}")


if __name__ == "__main__":
    main()
