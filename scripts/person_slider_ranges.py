"""Measure how far each attribute slider can go before faces stop looking like faces, and write the ranges into
weights/person-directions/config.json ("ranges"), which the explorer's sliders are limited to.

Realism is the face yardstick's precision (genstudio.yardstick.person): the share of faces that fall inside
the k-NN manifold of real held-out faces in the face classifier's features — a face with glasses is as real as
one without, so an attribute's shift is not punished, but a smeared blob falls outside. Unedited faces (256,
truncation 0.8) score p_0, real faces blurred with r = 2 px p_blur; a slider position is kept while its faces
score at least halfway between (p_0 + p_blur) / 2. Amounts are tried in steps of 0.5 up to ±6 (the API's
limit); the range ends before the first step that fails. A few two-slider combinations are measured too.

    .venv/bin/python scripts/person_slider_ranges.py [--generator person-wgan64] [--directions person-directions]
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from genstudio.classifier import load_classifier
from genstudio.imaging import to_pil
from genstudio.metrics.distances import precision_recall, unit
from genstudio.metrics.ladder import blur
from genstudio.weights import model_dir
from genstudio.wgan.latent import z_for_seeds
from genstudio.wgan.model import load_directions, load_generator
from genstudio.yardstick.person import features_and_probabilities, reference_halves

SEEDS = list(range(50_000, 50_256))
STEPS = [0.5 * k for k in range(1, 13)]
COMBINATIONS = [{"Blond_Hair": 4.0, "Eyeglasses": 5.0}, {"Male": 3.0, "Young": -3.0}, {"Smiling": 4.0, "Bald": 4.0}]


@torch.no_grad()
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generator", default="person-wgan64")
    parser.add_argument("--directions", default="person-directions")
    parser.add_argument("--data-root", default="../shared/datasets")
    args = parser.parse_args()
    g, _, _ = load_generator(args.generator)
    directions = load_directions(args.directions)
    if directions is None:
        raise SystemExit(f"{args.directions} is not installed")
    clf = load_classifier()
    a, b = reference_halves(args.data_root)
    real = unit(features_and_probabilities(clf, a)[0])

    def precision(images: np.ndarray) -> float:
        return precision_recall(real, unit(features_and_probabilities(clf, images)[0]))[0]

    def faces(z: torch.Tensor) -> np.ndarray:
        return np.stack([np.asarray(im) for im in to_pil(g(z))])

    z0 = z_for_seeds(SEEDS, g.z_dim, 0.8)
    p_0, p_blur = precision(faces(z0)), precision(blur(b, 2))
    floor = (p_0 + p_blur) / 2
    print(f"precision: unedited faces {p_0:.2f}, real faces blurred r=2 {p_blur:.2f}; kept down to {floor:.2f}")
    ranges, scores = {}, {}
    for name, d in directions.vectors.items():
        ends = []
        for sign in (-1, 1):
            end = 0.0
            for amount in STEPS:
                p = precision(faces(z0 + sign * amount * d))
                scores[f"{name}{sign * amount:+.1f}"] = round(p, 3)
                if p < floor:
                    break
                end = amount
            ends.append(sign * end)
        ranges[name] = [ends[0], ends[1]]
        print(f"{name:22s} {ends[0]:+.1f} … {ends[1]:+.1f}")
    combos = {}
    for combo in COMBINATIONS:
        z = z0 + sum(amount * directions.vectors[n] for n, amount in combo.items())
        key = " + ".join(f"{n} {v:+g}" for n, v in combo.items())
        combos[key] = round(precision(faces(z)), 3)
        print(f"{key:40s} precision {combos[key]:.2f}")
    path = model_dir(args.directions) / "config.json"
    stored = json.loads(path.read_text())
    stored["ranges"] = ranges
    stored["range_rule"] = {"measure": "yardstick precision vs real held-out faces", "unedited": round(p_0, 3),
                            "blur_r2": round(p_blur, 3), "floor": round(floor, 3), "faces": len(SEEDS),
                            "truncation": 0.8, "generator": args.generator, "scores": scores,
                            "combinations": combos}
    path.write_text(json.dumps(stored, indent=2, sort_keys=True) + "\n")
    write_card_section(model_dir(args.directions) / "README.md", stored)
    print(f"{path}: ranges written (and the card's section)")


def write_card_section(card, stored: dict) -> None:
    """The card's "Slider ranges" section (between markers, rewritten each time)."""
    import re

    rule = stored["range_rule"]
    lines = ["<!-- ranges -->", "## Slider ranges (measured)", "",
             f"The explorer's sliders stop where faces stop looking like faces: {rule['measure']} (k-NN, "
             f"{rule['faces']} faces of `{rule['generator']}` at truncation {rule['truncation']}) must stay at or "
             f"above {rule['floor']:.2f}, halfway between unedited faces ({rule['unedited']:.2f}) and real faces "
             f"blurred with r = 2 px ({rule['blur_r2']:.2f}). Steps of 0.5 up to the API's ±6 "
             "(`scripts/person_slider_ranges.py`).", "",
             "| attribute | from | to |", "|---|---|---|"]
    lines += [f"| {name} | {lo:+.1f} | {hi:+.1f} |" for name, (lo, hi) in stored["ranges"].items()]
    lines += ["", "Two sliders at once (precision of the faces):", ""]
    lines += [f"- {combo}: {p:.2f}" for combo, p in rule["combinations"].items()]
    lines.append("<!-- /ranges -->")
    text = card.read_text() if card.is_file() else ""
    text = re.sub(r"\n?<!-- ranges -->.*?<!-- /ranges -->\n?", "\n", text, flags=re.S).rstrip()
    card.write_text(text + "\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
