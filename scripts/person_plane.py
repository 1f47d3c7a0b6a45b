"""Fit the person map's GAN plane (weights/person-plane): label generated faces with the face classifier and
lay them out by their attributes (genstudio.wgan.plane), so the map page can decode any point through the GAN.

    .venv/bin/python scripts/person_plane.py [--generator person-wgan64] [--faces 3000]
"""

from __future__ import annotations

import argparse

from genstudio.classifier import load_classifier
from genstudio.weights import model_dir
from genstudio.wgan.directions import label_samples
from genstudio.wgan.model import load_generator
from genstudio.wgan.plane import fit_plane, save_plane


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generator", default="person-wgan64")
    parser.add_argument("--classifier", default="face-attributes")
    parser.add_argument("--faces", type=int, default=3000)
    parser.add_argument("--name", default="person-plane")
    args = parser.parse_args()
    generator, checkpoint, _ = load_generator(args.generator)
    classifier = load_classifier(args.classifier)
    z, logits = label_samples(generator, classifier, list(range(100_000, 100_000 + args.faces)))
    plane = fit_plane(z, logits, classifier.attributes)
    save_plane(model_dir(args.name), plane, args.generator, checkpoint)
    print(f"{model_dir(args.name)}: {len(z)} faces of {args.generator} ({checkpoint}) on the plane")


if __name__ == "__main__":
    main()
