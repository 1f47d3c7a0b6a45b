"""End-to-end speed of the makeup service on this machine: a 1024x768 JPEG with one face.

    python bench/makeup.py [--model makeup-stargan48] [--threads 1] [--repeats 5]

Times each stage the way a request runs it — decode (+ EXIF orientation, limits), face and eye detection,
alignment + StarGAN change + paste-back at full resolution, PNG encode with the recipe — and prints the
median of each and of the total against the issue's target (under 1 s). The photo is scikit-image's
astronaut, scaled up and padded to 1024x768. Without installed weights it times a randomly initialised
network of the CPU config's shape (same cost). Other processes on the machine (background trainings)
slow every figure: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from pathlib import Path

import cv2
import numpy as np
import torch
import yaml
from PIL import Image

from genstudio.recipes import encode_png, make_recipe
from genstudio.services.makeup import DEFAULT_MODEL
from genstudio.services.makeup.pipeline import request_from_params
from genstudio.stargan.editor import StarGanEditor
from genstudio.stargan.networks import build
from genstudio.stargan.photo import edit_face, find_faces
from genstudio.weights import is_installed

TARGET_S = 1.0


def test_photo() -> bytes:
    from skimage import data

    face = cv2.resize(data.astronaut(), (720, 720), interpolation=cv2.INTER_CUBIC)
    canvas = np.full((768, 1024, 3), 120, np.uint8)
    canvas[24:744, 152:872] = face
    buf = io.BytesIO()
    Image.fromarray(canvas).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def editor_for(model: str) -> tuple[StarGanEditor, str]:
    if is_installed(model):
        editor = StarGanEditor.from_weights(model)
        if is_installed("face-attributes"):  # as the service: source attributes from the classifier
            from genstudio.classifier import load_classifier

            editor.use_reader(load_classifier("face-attributes"))
        return editor, model
    cfg = yaml.safe_load(Path("configs/makeup-cpu.yaml").read_text())["model"]
    cfg["attributes"] = ["Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair", "Heavy_Makeup", "Male", "Young"]
    g, d = build(cfg)
    return StarGanEditor(g, d, cfg), "random weights, CPU config shape"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    from genstudio.faces import load_photo

    editor, what = editor_for(args.model)
    data = test_photo()
    params = {"hair": "blond", "makeup": "keep", "gender": "keep", "age": "keep", "strength": 1.0, "face": None}
    names = ("decode", "detect", "edit", "encode", "total")
    wall: dict[str, list[float]] = {k: [] for k in names}
    cpu: dict[str, list[float]] = {k: [] for k in names}
    for i in range(args.repeats + 1):
        marks = [(time.perf_counter(), time.process_time())]
        photo = load_photo(data)
        arr = photo.array
        marks.append((time.perf_counter(), time.process_time()))
        face = find_faces(arr)[0]
        marks.append((time.perf_counter(), time.process_time()))
        edit = edit_face(editor, arr, face, request_from_params(params), 1.0)
        marks.append((time.perf_counter(), time.process_time()))
        png = encode_png(Image.fromarray(edit.image), make_recipe("makeup", what, editor.checkpoint, params, 0))
        marks.append((time.perf_counter(), time.process_time()))
        if i == 0:
            continue  # warm-up (cascade loading, first torch call)
        spans = [(b[0] - a[0], b[1] - a[1]) for a, b in zip(marks, marks[1:], strict=False)]
        spans.append((marks[-1][0] - marks[0][0], marks[-1][1] - marks[0][1]))
        for k, (w, c) in zip(names, spans, strict=True):
            wall[k].append(w)
            cpu[k].append(c)
    print(f"makeup end-to-end, 1024x768 JPEG, one face ({what}); torch/OpenCV threads {args.threads}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  face {face.size:.0f} px, eyes {'found' if face.eyes else 'not found'}; PNG {len(png) / 1e6:.2f} MB")
    print("  stage    wall median (min)      CPU time median  [CPU time = wall time on an idle machine]")
    for k in names:
        print(f"  {k:7s}  {statistics.median(wall[k]):.3f} s ({min(wall[k]):.3f})   {statistics.median(cpu[k]):.3f} s")
    total, total_cpu = statistics.median(wall["total"]), statistics.median(cpu["total"])
    verdict = lambda t: "met" if t < TARGET_S else "NOT met"  # noqa: E731
    print(f"  target < {TARGET_S:.1f} s: wall {total:.3f} s ({verdict(total)}), CPU {total_cpu:.3f} s "
          f"({verdict(total_cpu)})")


if __name__ == "__main__":
    main()
